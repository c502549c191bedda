// sentence-transformers Dense modules (ModelConfig::dense): linear layers on the pooled vector, between
// pooling and Normalize (as sentence-transformers orders its modules: Matryoshka truncation comes after
// them), each y = activation(x W^T + b), activation Identity or Tanh. Weights f32 or f16 (the converter's
// f16 and int8 files store them in f16), biases f32.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quant/linear.h"
#include "runtime/model_file/reader.h"

namespace edgembed {

// The stored name of Dense module `index`'s "weight" or "bias".
std::string dense_tensor_name(size_t index, const char* what);

class DenseModules {
public:
    // Validates the modules' tensors (dtype, shape) against the config and prepares them. Throws
    // Error(corrupt_model_file) naming the tensor.
    explicit DenseModules(const model_file::ModelFile& file);

    bool empty() const { return layers_.empty(); }
    // in: [rows, hidden_size] pooled vectors; out: [rows, output_dimension] (not in). scratch: the
    // context's linear-layer scratch (its thread count applies).
    void apply(const float* in, size_t rows, float* out, quant::LinearScratch& scratch) const;

private:
    std::vector<DenseModule> modules_;
    quant::WeightArena arena_;  // before layers_: they point into it
    std::vector<std::unique_ptr<quant::Linear>> layers_;
    std::vector<std::vector<float>> biases_;  // copies, or zeros for a module without bias
};

}  // namespace edgembed
