// sentence-transformers Dense modules of a folder (modules.json entries of type Dense, between Pooling and
// Normalize): each module's config.json into a DenseModule (runtime/model_config.h), and its weights
// (model.safetensors or pytorch_model.bin: linear.weight [out, in], linear.bias [out]) into f32 tensors named
// for the model file (runtime/dense_modules.h).
#pragma once

#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/hf_files.h"
#include "tools/convert/quantize.h"

namespace edgembed::convert {

// The module at `path` (relative to root) reading `in_width` floats. Refuses, naming the file and key, what
// the runtime does not implement: activations other than Identity and Tanh (sentence-transformers' default
// when the key is absent), a residual, other input / output names, keys it does not know.
DenseModule read_dense_config(const HfFiles& root, const std::string& path, int in_width);

// The weights of module `index` (stored as dense.<index>.weight / .bias). Throws Error(file_not_found,
// invalid_weights) naming the file and tensor.
std::vector<MappedTensor> read_dense_weights(const HfFiles& root, const std::string& path, const DenseModule& module,
                                             size_t index);

}  // namespace edgembed::convert
