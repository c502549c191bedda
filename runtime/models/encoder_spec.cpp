#include "runtime/models/encoder_spec.h"

namespace edgembed::models {

std::string layer_prefix(const TensorNames& names, int layer) {
    std::string prefix = names.layer;
    const size_t slot = prefix.find("{}");
    if (slot != std::string::npos) prefix.replace(slot, 2, std::to_string(layer));
    return prefix;
}

std::vector<std::string> layer_linear_weights(const TensorNames& n, int layer) {
    const std::string p = layer_prefix(n, layer);
    std::vector<std::string> out;
    for (const std::string* linear : {&n.query, &n.key, &n.value, &n.attention_out, &n.ffn_in, &n.ffn_out})
        if (!linear->empty()) out.push_back(p + *linear + ".weight");
    return out;
}

std::vector<TensorSpec> tensor_specs(const EncoderSpec& spec, const TensorNames& n, const ModelConfig& c) {
    const int64_t h = c.hidden_size, ffn = c.intermediate_size, q = c.query_width(), kv = c.kv_width();
    std::vector<TensorSpec> specs;
    auto norm = [&](const std::string& name, int layer, int64_t width) {
        specs.push_back({name + ".weight", {width}, false, layer, true});
        if (spec.biases) specs.push_back({name + ".bias", {width}, false, layer});
    };
    auto linear = [&](const std::string& name, int64_t out, int64_t in, int layer) {
        specs.push_back({name + ".weight", {out, in}, true, layer});
        if (spec.biases) specs.push_back({name + ".bias", {out}, false, layer});
    };
    specs.push_back({n.word_embeddings + ".weight", {c.vocab_size, h}, false, -1});
    if (spec.positions != PositionKind::rotary)
        specs.push_back({n.position_embeddings + ".weight", {c.max_position_embeddings, h}, false, -1});
    if (spec.token_types) specs.push_back({n.token_type_embeddings + ".weight", {c.type_vocab_size, h}, false, -1});
    if (spec.embedding_norm) norm(n.embedding_norm, -1, h);
    if (spec.positions == PositionKind::learned_relative_bias)
        specs.push_back({n.relative_attention_bias + ".weight", {spec.relative_buckets, c.num_heads}, false, -1});
    for (int i = 0; i < c.num_layers; ++i) {
        const std::string p = layer_prefix(n, i);
        if (n.key.empty()) {
            linear(p + n.query, q + 2 * kv, h, i);
        } else {
            linear(p + n.query, q, h, i);
            linear(p + n.key, kv, h, i);
            linear(p + n.value, kv, h, i);
        }
        if (spec.qk_norm) {
            norm(p + n.query_norm, i, c.head_dim());
            norm(p + n.key_norm, i, c.head_dim());
        }
        linear(p + n.attention_out, h, q, i);
        if (i > 0 || spec.first_attention_norm) norm(p + n.attention_norm, i, h);
        if (spec.block_output_norm) norm(p + n.attention_output_norm, i, h);
        linear(p + n.ffn_in, gated_ffn(spec) ? 2 * ffn : ffn, h, i);
        linear(p + n.ffn_out, h, ffn, i);
        norm(p + n.ffn_norm, i, h);
        if (spec.block_output_norm) norm(p + n.ffn_output_norm, i, h);
    }
    if (spec.final_norm) norm(n.final_norm, -1, h);
    return specs;
}

}  // namespace edgembed::models
