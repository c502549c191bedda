// The converter's quality gate: before a quantized model is written, it is compared with the f32
// model on the built-in sample (quality_sample.h); the gate reports mean / min cosine. For int8 it first
// calibrates on the same sample: the inputs of every layer's q/k/v, FFN input and FFN output projections keep
// their K channels of largest |x| out of int8 (quantize.h's Int8Plan). It can then move int8 weights to f16 until a
// min-cosine target is met: the most sensitive FFN output projections first, then the most sensitive
// whole encoder layers.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "runtime/models/encoder.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/quantize.h"

namespace edgembed::convert {

struct QualityResult {
    double mean_cosine = 1.0;
    double min_cosine = 1.0;
};

// The embeddings of the built-in sample with the model in `file_bytes`: [texts, dim]. `observer` (may be
// empty) sees every linear layer's input.
std::vector<float> embed_quality_sample(const std::vector<uint8_t>& file_bytes, int* dim,
                                        const models::LinearInputObserver& observer = {});
QualityResult compare_embeddings(const std::vector<float>& reference, const std::vector<float>& candidate, int dim);

struct GateOutcome {
    std::vector<uint8_t> file_bytes;  // the model to write
    QualityResult quality;            // of that model against f32
    std::vector<std::string> f16_fallback;  // what fell back to f16, in order: projection weight names, 'layer N'
    std::vector<std::string> outlier_channels;  // int8 weights with outlier channels: "<name>: K of N (max |x| M, median m)"
};

// `build(plan)` produces the model file bytes under `plan`. outlier_channels: K per FFN output projection
// (0 = none). min_cosine <= 0 only measures.
GateOutcome run_quality_gate(const std::vector<uint8_t>& f32_bytes, const ModelConfig& config,
                             const std::function<std::vector<uint8_t>(const Int8Plan&)>& build, int outlier_channels,
                             double min_cosine, const NoteFn& note);

}  // namespace edgembed::convert
