#include "tools/convert/convert.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "base/error.h"
#include "runtime/model_file/writer.h"
#include "runtime/models/family.h"
#include "runtime/tokenizer/tokenizer_config_json.h"
#include "tools/convert/hf_checkpoint.h"
#include "tools/convert/quality_gate.h"
#include "tools/convert/quantize.h"
#include "tools/convert/st_dense.h"
#include "tools/convert/tensor_mapping.h"

namespace edgembed::convert {

ConvertSummary convert(const ConvertOptions& options) {
    const auto start = std::chrono::steady_clock::now();

    // Options first, so a bad flag fails before any file is read.
    const WeightFormat format = weight_format_from_name(options.dtype);
    if (options.temperature && !(*options.temperature > 0.0f && *options.temperature <= 100.0f)) {
        std::ostringstream value;
        value << *options.temperature;
        throw Error(Status::invalid_argument, "--temperature must be > 0 and <= 100 (got " + value.str() + ")");
    }
    if (options.out_file.empty()) throw Error(Status::invalid_argument, "no output file given");
    std::optional<TemperatureSetting> auto_temperature;
    if (!options.auto_temperature.empty()) auto_temperature = parse_temperature_setting(options.auto_temperature);

    const int steps = format == WeightFormat::f32 ? 3 : 5;
    int step = 0;
    auto next_step = [&](const std::string& name) {
        if (options.progress) options.progress(name, step, steps);
        ++step;
    };
    next_step("reading the config and tokenizer");
    HfCheckpoint checkpoint = read_hf_checkpoint(options.hf_dir, options.note);
    ModelConfig& config = checkpoint.config;
    config.weight_dtype = weight_format_name(format);
    if (options.temperature) config.default_temperature = *options.temperature;
    if (auto_temperature) {
        validate(*auto_temperature, config.num_layers, "--auto-temperature");
        config.auto_temperature = auto_temperature;
    }
    if (options.max_seq_length) {
        if (*options.max_seq_length < 2 || *options.max_seq_length > config.max_position_embeddings)
            throw Error(Status::invalid_argument, "--max-seq-length " + std::to_string(*options.max_seq_length) +
                                                      " must be in [2, max_position_embeddings = " +
                                                      std::to_string(config.max_position_embeddings) + "]");
        config.max_seq_length = *options.max_seq_length;
    }
    validate(config);

    ConvertSummary summary;
    {
        next_step("reading the weights");
        HfWeights weights = read_hf_weights(checkpoint.model_dir);
        summary.weights = weights.files;
        std::vector<MappedTensor> mapped = map_tensors(weights.tensors, config, options.note);
        weights = HfWeights();  // the mapped copies are all that is needed from here on
        for (size_t i = 0; i < checkpoint.dense_paths.size(); ++i)
            for (MappedTensor& t : read_dense_weights(HfFiles(checkpoint.root_dir, ""), checkpoint.dense_paths[i], config.dense[i], i))
                mapped.push_back(std::move(t));
        // Serializes `tensors` in `weight_format` into a model file in memory.
        auto build = [&](std::vector<MappedTensor> tensors, WeightFormat weight_format, const Int8Plan& plan) {
            ModelConfig c = config;
            c.weight_dtype = weight_format_name(weight_format);
            // Outlier channels need the family layout that has them; a file without keeps the one before, so
            // that older runtimes still load it.
            if (weight_format != WeightFormat::int8 || plan.outlier_channels.empty())
                c.layout_revision = std::min(c.layout_revision, models::kOutlierChannelsRevision - 1);
            if (!c.dense.empty()) c.layout_revision = std::max(c.layout_revision, models::kDenseModulesRevision);
            std::vector<OutputTensor> stored = quantize_tensors(std::move(tensors), weight_format, plan);
            model_file::Writer writer(c);
            summary.parameter_count = 0;
            for (OutputTensor& t : stored) {
                uint64_t elements = 1;
                for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
                summary.parameter_count += elements;
                writer.add_tensor(t.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size());
                std::vector<uint8_t>().swap(t.bytes);  // the writer holds its own copy
            }
            const std::string& proto = c.tokenizer.sentencepiece.model_proto;
            if (c.tokenizer.type == "sentencepiece")  // the tokenizer's own model, beside the weights
                writer.add_tensor(kSentencePieceModelTensor, DType::u8, {static_cast<int64_t>(proto.size())}, proto.data(), proto.size());
            summary.tensor_count = stored.size();
            return writer.serialize();
        };
        if (format == WeightFormat::f32) {
            next_step("writing " + options.out_file);
            model_file::write_file_atomically(options.out_file, build(std::move(mapped), format, {}));
        } else {
            next_step("building the f32 reference");
            const std::vector<uint8_t> f32_bytes = build(mapped, WeightFormat::f32, {});
            next_step("quantizing and running the quality gate");
            GateOutcome gate = run_quality_gate(
                f32_bytes, config, [&](const Int8Plan& plan) { return build(mapped, format, plan); },
                format == WeightFormat::int8 ? options.outlier_channels : 0, options.min_cosine, options.note);
            summary.quality = gate.quality;
            summary.f16_fallback = gate.f16_fallback;
            summary.outlier_channels = gate.outlier_channels;
            if (options.min_cosine > 0.0 && gate.quality.min_cosine < options.min_cosine)
                throw Error(Status::invalid_weights, "quality gate: min cosine " + std::to_string(gate.quality.min_cosine) +
                                                         " on the built-in sample stays below --min-cosine " +
                                                         std::to_string(options.min_cosine) + " even with every layer in f16");
            next_step("writing " + options.out_file);
            model_file::write_file_atomically(options.out_file, gate.file_bytes);
        }
    }
    if (options.progress) options.progress("done", steps, steps);

    struct stat st {};
    if (::stat(options.out_file.c_str(), &st) == 0) summary.file_size = static_cast<uint64_t>(st.st_size);
    summary.config = std::move(config);
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

}  // namespace edgembed::convert
