// Qwen3 as an embedder (Qwen3-Embedding-0.6B: transformers' Qwen3Model, last-token pooling): a decoder run
// once over the text with causal attention, pre-norm RMSNorm blocks without biases and a final norm,
// grouped-query attention with an explicit head_dim, RMSNorm on each query and key head before the rotary
// embedding, SwiGLU. As transformers' modeling_qwen3.py. The converter stacks q_proj / k_proj / v_proj and
// gate_proj / up_proj into the encoder's one query-key-value and one gated FFN input layer.
#include <string>

#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

[[noreturn]] void refuse(const JsonKeys& k, const std::string& what) {
    throw Error(Status::unsupported_architecture, k.file() + ": " + what + " is not supported");
}

// The rotary base: transformers 5's rope_parameters (only the default, unscaled rope_type), else the
// older top-level rope_theta; rope_scaling (transformers 4) is refused.
double read_rope_theta(const JsonKeys& k) {
    if (k.has("rope_scaling") && !k.raw("rope_scaling").is_null()) refuse(k, "rope_scaling " + k.raw("rope_scaling").dump());
    double theta = k.number("rope_theta").value_or(10000.0);
    if (k.has("rope_parameters") && !k.raw("rope_parameters").is_null())
        read_default_rope(k, k.raw("rope_parameters"), "rope_parameters", theta);
    if (!(theta > 1.0)) throw Error(Status::invalid_config, k.file() + ": rope_theta must be > 1");
    return theta;
}

void read_config(const JsonKeys& k, ModelConfig& c) {
    const std::string act = k.string("hidden_act", std::string("silu"));
    if (act != "silu") refuse(k, "hidden_act '" + act + "' (only 'silu')");
    if (k.boolean("attention_bias", false)) refuse(k, "attention_bias true (the runtime's Qwen3 has no biases)");
    if (k.boolean("use_sliding_window", false)) refuse(k, "use_sliding_window true (only full causal attention)");
    read_encoder_dimensions(k, c);
    if (k.has("layer_types")) {
        const nlohmann::json& types = k.raw("layer_types");
        if (!types.is_array() || static_cast<int>(types.size()) != c.num_layers)
            throw Error(Status::invalid_config, k.file() + ": layer_types must list num_hidden_layers layer kinds");
        for (size_t i = 0; i < types.size(); ++i)
            if (!types[i].is_string() || types[i].get<std::string>() != "full_attention")
                refuse(k, "layer_types[" + std::to_string(i) + "] " + types[i].dump() + " (only 'full_attention')");
    }
    c.num_kv_heads = k.integer("num_key_value_heads", c.num_heads);
    c.head_size = k.integer("head_dim", 128);  // Qwen3Config's default
    if (c.num_kv_heads < 1 || c.num_heads % c.num_kv_heads != 0)
        throw Error(Status::invalid_config, k.file() + ": num_key_value_heads must divide num_attention_heads");
    if (c.head_size < 2 || c.head_size % 2 != 0) throw Error(Status::invalid_config, k.file() + ": head_dim must be even");
    c.hidden_act = "silu";
    c.type_vocab_size = 0;
    c.layer_norm_eps = static_cast<float>(k.number("rms_norm_eps").value_or(1e-6));
    c.family_options["rope_theta"] = read_rope_theta(k);
}

EncoderSpec spec(const ModelConfig& c) {
    EncoderSpec s = rms_norm_rotary_spec();
    s.ffn = FfnKind::swiglu;
    s.causal = true;
    s.rope_theta = s.rope_theta_local = family_option(c, "rope_theta");
    if (!(s.rope_theta > 1.0) || c.head_dim() % 2 != 0)
        throw Error(Status::invalid_config, "model config: qwen3 rotary base / head_dim out of range");
    return s;
}

}  // namespace

extern const Family qwen3_family = {
    "qwen3",
    kOutlierChannelsRevision,  // layout revision
    {"0.auto_model.", "model."},
    {{"lm_head.", "the language-model head"}},
    read_config,
    spec,
    {"embed_tokens", "", "", "", "", "norm", "layers.{}.", "self_attn.qkv_proj", "", "", "self_attn.o_proj",
     "input_layernorm", "mlp.gate_up_proj", "mlp.down_proj", "post_attention_layernorm", "self_attn.q_norm",
     "self_attn.k_norm"},
    stacked_qkv_and_gate_up(),  // SwiGLU: silu(gate) * up
};

}  // namespace edgembed::models
