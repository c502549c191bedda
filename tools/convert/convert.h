// The converter pipeline: Hugging Face directory -> ModelConfig + checkpoint tensors -> canonical f32
// tensors (tensor_mapping.h) -> stored format (quantize.h) -> model file (runtime/model_file/writer.h).
// Nothing is written unless every step succeeds; the writer's tmp-file + rename keeps a failure from
// leaving a partial OUT_FILE.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/quality_gate.h"

namespace edgembed::convert {

struct ConvertOptions {
    std::string hf_dir;
    std::string out_file;
    std::string dtype = "f32";           // --dtype: f32, f16 or int8
    std::optional<float> temperature;    // --temperature: default_temperature, in (0, 100]
    std::string auto_temperature;        // --auto-temperature: the setting `--temperature auto` applies ("" = none)
    std::optional<int> max_seq_length;   // --max-seq-length: in [2, max_position_embeddings]
    double min_cosine = 0.0;             // --min-cosine: quality-gate target for f16/int8 (0: only report)
    int outlier_channels = 8;            // --outlier-channels: int8, K per q/k/v, FFN-in and FFN-out input (0: none)
    NoteFn note;                         // informational messages; may be empty
    // Called as each step starts (done = steps finished, of total) and once at the end; may be empty.
    std::function<void(const std::string& step, int done, int total)> progress;
};

struct ConvertSummary {
    ModelConfig config;
    std::string weights;        // the checkpoint files read
    size_t tensor_count = 0;    // tensors written
    uint64_t parameter_count = 0;
    uint64_t file_size = 0;     // bytes of OUT_FILE
    double seconds = 0;
    std::optional<QualityResult> quality;  // f16 / int8: against f32 on the built-in sample
    std::vector<std::string> f16_fallback;  // int8: what the quality gate kept in f16 (weight names, 'layer N')
    std::vector<std::string> outlier_channels;  // int8: the weights with outlier channels (GateOutcome)
};

// Throws edgembed::Error; on any error OUT_FILE is left as it was (absent or untouched).
ConvertSummary convert(const ConvertOptions& options);

}  // namespace edgembed::convert
