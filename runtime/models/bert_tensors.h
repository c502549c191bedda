// The tensors a BERT-family encoder needs: canonical names (the Hugging Face BertModel names without
// any "bert." prefix) and the shapes the config implies. One table for the converter and the loader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace edgembed::bert {

struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    bool is_linear_weight;  // [out, in] matrix of a linear layer (quantizable)
};

std::vector<TensorSpec> tensor_specs(const ModelConfig& config);

// Per-layer names, so the encoder and converter spell them once.
std::string layer_prefix(int layer);  // "encoder.layer.<i>."

}  // namespace edgembed::bert
