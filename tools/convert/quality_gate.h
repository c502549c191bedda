// The converter's quality gate: before a quantized model is written, it is compared with the f32
// model on the built-in sample (quality_sample.h); the gate reports mean / min cosine, and can move int8
// weights to f16 until a min-cosine target is met: the most sensitive FFN output projections first, then
// the most sensitive whole encoder layers.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/quantize.h"

namespace edgembed::convert {

struct QualityResult {
    double mean_cosine = 1.0;
    double min_cosine = 1.0;
};

// The embeddings of the built-in sample with the model in `file_bytes`: [texts, dim].
std::vector<float> embed_quality_sample(const std::vector<uint8_t>& file_bytes, int* dim);
QualityResult compare_embeddings(const std::vector<float>& reference, const std::vector<float>& candidate, int dim);

struct GateOutcome {
    std::vector<uint8_t> file_bytes;  // the model to write
    QualityResult quality;            // of that model against f32
    std::vector<std::string> f16_fallback;  // what fell back to f16, in order: projection weight names, 'layer N'
};

// `build(keep_f16)` produces the model file bytes with the named linear weights kept in f16.
// min_cosine <= 0 only measures.
GateOutcome run_quality_gate(const std::vector<uint8_t>& f32_bytes, const ModelConfig& config,
                             const std::function<std::vector<uint8_t>(const std::set<std::string>&)>& build,
                             double min_cosine, const NoteFn& note);

}  // namespace edgembed::convert
