#include "runtime/models/bert_tensors.h"

namespace edgembed::bert {

std::string layer_prefix(int layer) { return "encoder.layer." + std::to_string(layer) + "."; }

std::vector<TensorSpec> tensor_specs(const ModelConfig& c) {
    const int64_t h = c.hidden_size, ffn = c.intermediate_size;
    std::vector<TensorSpec> specs = {
        {"embeddings.word_embeddings.weight", {c.vocab_size, h}, false},
        {"embeddings.position_embeddings.weight", {c.max_position_embeddings, h}, false},
        {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}, false},
        {"embeddings.LayerNorm.weight", {h}, false},
        {"embeddings.LayerNorm.bias", {h}, false},
    };
    for (int i = 0; i < c.num_layers; ++i) {
        const std::string p = layer_prefix(i);
        for (const char* qkv : {"query", "key", "value"}) {
            specs.push_back({p + "attention.self." + qkv + ".weight", {h, h}, true});
            specs.push_back({p + "attention.self." + qkv + ".bias", {h}, false});
        }
        specs.push_back({p + "attention.output.dense.weight", {h, h}, true});
        specs.push_back({p + "attention.output.dense.bias", {h}, false});
        specs.push_back({p + "attention.output.LayerNorm.weight", {h}, false});
        specs.push_back({p + "attention.output.LayerNorm.bias", {h}, false});
        specs.push_back({p + "intermediate.dense.weight", {ffn, h}, true});
        specs.push_back({p + "intermediate.dense.bias", {ffn}, false});
        specs.push_back({p + "output.dense.weight", {h, ffn}, true});
        specs.push_back({p + "output.dense.bias", {h}, false});
        specs.push_back({p + "output.LayerNorm.weight", {h}, false});
        specs.push_back({p + "output.LayerNorm.bias", {h}, false});
    }
    return specs;
}

}  // namespace edgembed::bert
