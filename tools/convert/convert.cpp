#include "tools/convert/convert.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "runtime/error.h"
#include "runtime/model_file/writer.h"
#include "tools/convert/hf_checkpoint.h"
#include "tools/convert/quantize.h"
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

    HfCheckpoint checkpoint = read_hf_checkpoint(options.hf_dir, options.note);
    ModelConfig& config = checkpoint.config;
    config.weight_dtype = weight_format_name(format);
    if (options.temperature) config.default_temperature = *options.temperature;
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
        HfWeights weights = read_hf_weights(checkpoint.model_dir);
        summary.weights = weights.files;
        std::vector<MappedTensor> mapped = map_bert_tensors(weights.tensors, config, options.note);
        std::vector<OutputTensor> stored = quantize_tensors(std::move(mapped), format);

        model_file::Writer writer(config);
        for (OutputTensor& t : stored) {
            uint64_t elements = 1;
            for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
            summary.parameter_count += elements;
            writer.add_tensor(t.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size());
            std::vector<uint8_t>().swap(t.bytes);  // the writer holds its own copy
        }
        summary.tensor_count = stored.size();
        writer.write(options.out_file);
    }

    struct stat st {};
    if (::stat(options.out_file.c_str(), &st) == 0) summary.file_size = static_cast<uint64_t>(st.st_size);
    summary.config = std::move(config);
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

}  // namespace edgembed::convert
