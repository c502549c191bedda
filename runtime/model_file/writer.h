// Writes a model file (format.h): to "<path>.tmp-<pid>", then fsync and rename, so a failure never
// leaves a half-written file at `path`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "runtime/model_config.h"

namespace edgembed::model_file {

class Writer {
public:
    explicit Writer(ModelConfig config) : config_(std::move(config)) {}

    // Copies `nbytes` bytes; nbytes must equal the element count times dtype_size (qc8 tensors
    // carry their scales as a separate f32 tensor). Throws Error(invalid_argument) on a bad size or name.
    void add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                    const void* data, size_t nbytes);
    // Throws Error(io_error) and removes the temporary file on failure.
    void write(const std::string& path) const;
    // The whole file in memory (for ModelFile::from_memory, e.g. the converter's quality gate).
    std::vector<uint8_t> serialize() const;

private:
    struct Tensor {
        std::string name;
        DType dtype;
        std::vector<int64_t> shape;
        std::vector<uint8_t> bytes;
    };
    ModelConfig config_;
    std::vector<Tensor> tensors_;
};

// Writes bytes to "<path>.tmp-<pid>", fsyncs and renames; throws Error(io_error), leaving nothing behind.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace edgembed::model_file
