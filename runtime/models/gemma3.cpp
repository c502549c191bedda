// Gemma3 as a bidirectional encoder (EmbeddingGemma-300m: transformers' Gemma3TextModel with
// use_bidirectional_attention): RMSNorm blocks without biases whose attention and FFN outputs are normed
// again before the residual add ("sandwich" norms), RMSNorm on each query and key head before the rotary
// embedding, grouped-query attention with an explicit head_dim, logits scaled by query_pre_attn_scalar^-0.5,
// GeGLU with GELU's tanh form, token embeddings times sqrt(hidden_size), a final norm. Layers are full
// (every token, rotary base 1,000,000) or sliding (|i - j| <= sliding_window / 2, base 10,000) as layer_types
// says. As transformers' modeling_gemma3.py. Gemma's RMSNorm scales by (1 + w): the converter stores 1 + w
// (Family::norm_weight_offset); it stacks q_proj / k_proj / v_proj and gate_proj / up_proj as for Qwen3.
#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

[[noreturn]] void refuse(const JsonKeys& k, const std::string& what) {
    throw Error(Status::unsupported_architecture, k.file() + ": " + what + " is not supported");
}

// The rotary bases of the full and the sliding layers: transformers 5's rope_parameters (one default,
// unscaled entry per layer kind), else transformers 4's rope_theta / rope_local_base_freq.
void read_rope(const JsonKeys& k, double& full_theta, double& sliding_theta) {
    if (k.has("rope_scaling")) refuse(k, "rope_scaling " + k.raw("rope_scaling").dump());
    full_theta = k.number("rope_theta").value_or(1000000.0);
    sliding_theta = k.number("rope_local_base_freq").value_or(10000.0);
    if (k.has("rope_parameters")) read_layer_kind_ropes(k, full_theta, sliding_theta);
    if (!(full_theta > 1.0) || !(sliding_theta > 1.0))
        throw Error(Status::invalid_config, k.file() + ": rotary bases (rope_theta) must be > 1");
}

// layer_types (or transformers' default: every sliding_window_pattern-th layer full) as the encoder's
// pattern: layer l is full when l % every == phase.
void read_layer_pattern(const JsonKeys& k, int layers, int& every, int& phase) {
    std::vector<bool> full(static_cast<size_t>(layers));
    if (k.has("layer_types")) {
        const nlohmann::json& types = k.raw("layer_types");
        if (!types.is_array() || static_cast<int>(types.size()) != layers)
            throw Error(Status::invalid_config, k.file() + ": layer_types must list num_hidden_layers layer kinds");
        for (int i = 0; i < layers; ++i) {
            const std::string type = types[i].is_string() ? types[i].get<std::string>() : types[i].dump();
            if (type != "full_attention" && type != "sliding_attention")
                refuse(k, "layer_types[" + std::to_string(i) + "] '" + type + "' (only full_attention and sliding_attention)");
            full[static_cast<size_t>(i)] = type == "full_attention";
        }
    } else {
        const int pattern = k.integer("sliding_window_pattern", k.integer("_sliding_window_pattern", 6));
        if (pattern < 1) throw Error(Status::invalid_config, k.file() + ": sliding_window_pattern must be >= 1");
        for (int i = 0; i < layers; ++i) full[static_cast<size_t>(i)] = (i + 1) % pattern == 0;
    }
    std::vector<int> at;
    for (int i = 0; i < layers; ++i)
        if (full[static_cast<size_t>(i)]) at.push_back(i);
    if (at.size() == static_cast<size_t>(layers)) {  // every layer full
        every = 0, phase = 0;
        return;
    }
    // Periodic from the first full layer (a single one: once in the whole stack; none: never).
    every = at.size() >= 2 ? at[1] - at[0] : layers + 1;
    phase = at.empty() ? layers : at[0] % every;
    for (int i = 0; i < layers; ++i)
        if ((i % every == phase) != full[static_cast<size_t>(i)])
            refuse(k, "layer_types with layer " + std::to_string(i) + (full[static_cast<size_t>(i)] ? " full" : " sliding") +
                          " (the runtime needs full layers at a fixed period)");
}

void read_config(const JsonKeys& k, ModelConfig& c) {
    const std::string act = k.string("hidden_activation", std::string("gelu_pytorch_tanh"));
    if (act != "gelu_pytorch_tanh") refuse(k, "hidden_activation '" + act + "' (only 'gelu_pytorch_tanh')");
    if (k.boolean("attention_bias", false)) refuse(k, "attention_bias true (the runtime's Gemma3 has no biases)");
    if (k.has("attn_logit_softcapping")) refuse(k, "attn_logit_softcapping " + k.raw("attn_logit_softcapping").dump());
    if (!k.boolean("use_bidirectional_attention", false))
        refuse(k, "use_bidirectional_attention false (a causal Gemma3 decoder; only the bidirectional encoder of EmbeddingGemma)");
    read_encoder_dimensions(k, c);
    c.num_kv_heads = k.integer("num_key_value_heads", 4);  // Gemma3TextConfig's defaults
    c.head_size = k.integer("head_dim", 256);
    if (c.num_kv_heads < 1 || c.num_heads % c.num_kv_heads != 0)
        throw Error(Status::invalid_config, k.file() + ": num_key_value_heads must divide num_attention_heads");
    if (c.head_size < 2 || c.head_size % 2 != 0) throw Error(Status::invalid_config, k.file() + ": head_dim must be even");
    c.hidden_act = "gelu_pytorch_tanh";
    c.type_vocab_size = 0;
    c.layer_norm_eps = static_cast<float>(k.number("rms_norm_eps").value_or(1e-6));
    const double scalar = k.number("query_pre_attn_scalar").value_or(256.0);
    if (!(scalar > 0.0)) throw Error(Status::invalid_config, k.file() + ": query_pre_attn_scalar must be > 0");

    double full_theta = 0.0, sliding_theta = 0.0;
    read_rope(k, full_theta, sliding_theta);
    int every = 0, phase = 0;
    read_layer_pattern(k, c.num_layers, every, phase);
    // transformers makes the bidirectional window exclusive at sliding_window // 2 + 1 (Gemma3TextConfig):
    // |i - j| <= sliding_window // 2.
    int radius = 0;
    if (every != 0) {
        const int window = k.integer("sliding_window");
        if (window < 2) throw Error(Status::invalid_config, k.file() + ": sliding_window must be >= 2");
        radius = window / 2;
    }
    c.family_options["global_every"] = every;
    c.family_options["global_phase"] = phase;
    c.family_options["local_radius"] = radius;
    c.family_options["global_rope_theta"] = full_theta;
    c.family_options["local_rope_theta"] = sliding_theta;
    c.family_options["query_pre_attn_scalar"] = scalar;
}

EncoderSpec spec(const ModelConfig& c) {
    EncoderSpec s = rms_norm_rotary_spec();
    s.block_output_norm = true;
    s.ffn = FfnKind::geglu_tanh;
    // sqrt(hidden_size) as transformers computes it (a double, then a float32 tensor).
    s.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size)));
    s.attention_scalar = family_option(c, "query_pre_attn_scalar");
    s.global_every = static_cast<int>(family_option(c, "global_every"));
    s.global_phase = static_cast<int>(family_option(c, "global_phase"));
    s.local_radius = static_cast<int>(family_option(c, "local_radius"));
    s.rope_theta = family_option(c, "global_rope_theta");
    s.rope_theta_local = family_option(c, "local_rope_theta");
    if (s.global_every < 0 || s.global_phase < 0 || (s.global_every > 0 && s.local_radius < 1) || !(s.attention_scalar > 0.0) ||
        !(s.rope_theta > 1.0) || !(s.rope_theta_local > 1.0) || c.head_dim() % 2 != 0)
        throw Error(Status::invalid_config, "model config: gemma3_text attention pattern / rotary options out of range");
    return s;
}

}  // namespace

extern const Family gemma3_family = {
    "gemma3_text",
    kOutlierChannelsRevision,  // layout revision
    {"0.auto_model.", "model."},
    {{"lm_head.", "the language-model head"}},
    read_config,
    spec,
    {"embed_tokens", "", "", "", "", "norm", "layers.{}.", "self_attn.qkv_proj", "", "", "self_attn.o_proj",
     "input_layernorm", "mlp.gate_up_proj", "mlp.down_proj", "pre_feedforward_layernorm", "self_attn.q_norm",
     "self_attn.k_norm", "post_attention_layernorm", "post_feedforward_layernorm"},
    stacked_qkv_and_gate_up(),  // GeGLU: gelu_tanh(gate) * up
    1.0f,  // norm_weight_offset: RMSNorm by (1 + w)
};

}  // namespace edgembed::models
