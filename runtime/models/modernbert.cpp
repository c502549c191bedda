// ModernBERT (answerdotai/ModernBERT-base and its sentence-transformers descendants): pre-LN without
// biases (the first layer's attention reads its input un-normed), GeGLU, rotary positions, a final norm,
// global attention every third layer and a 128-token window (|i - j| <= 64) on the others, each kind with
// its own rotary base. As transformers' modeling_modernbert.py.
#include <string>

#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

[[noreturn]] void refuse(const JsonKeys& k, const std::string& what) {
    throw Error(Status::unsupported_architecture, k.file() + ": " + what + " is not supported");
}

void read_config(const JsonKeys& k, ModelConfig& c) {
    const std::string act = k.string("hidden_activation", std::string("gelu"));
    if (act != "gelu") refuse(k, "hidden_activation '" + act + "' (only 'gelu', the erf form)");
    for (const char* key : {"attention_bias", "mlp_bias", "norm_bias"})
        if (k.boolean(key, false)) refuse(k, std::string(key) + " true (the runtime's ModernBERT has no biases)");
    if (k.has("rope_scaling")) refuse(k, "rope_scaling");
    if (k.has("head_dim") && k.integer("head_dim") * k.integer("num_attention_heads") != k.integer("hidden_size"))
        refuse(k, "head_dim other than hidden_size / num_attention_heads");
    c.hidden_act = "gelu";
    read_encoder_dimensions(k, c);
    c.type_vocab_size = 0;
    c.layer_norm_eps = static_cast<float>(k.number("norm_eps").value_or(1e-5));

    double global_theta = k.number("global_rope_theta").value_or(160000.0);
    double local_theta = k.number("local_rope_theta").value_or(10000.0);
    if (k.has("rope_parameters")) read_layer_kind_ropes(k, global_theta, local_theta);
    const int every = k.integer("global_attn_every_n_layers", 3);
    if (every < 1) throw Error(Status::invalid_config, k.file() + ": global_attn_every_n_layers must be >= 1");
    if (k.has("layer_types")) {  // transformers 5 writes the pattern out; refuse any other
        const nlohmann::json& types = k.raw("layer_types");
        if (!types.is_array() || static_cast<int>(types.size()) != c.num_layers)
            throw Error(Status::invalid_config, k.file() + ": layer_types must list num_hidden_layers layer kinds");
        for (int i = 0; i < c.num_layers; ++i) {
            const std::string expected = i % every == 0 ? "full_attention" : "sliding_attention";
            if (!types[i].is_string() || types[i].get<std::string>() != expected)
                refuse(k, "layer_types[" + std::to_string(i) + "] " + types[i].dump() + " (the runtime runs '" + expected +
                              "' there: global every " + std::to_string(every) + " layers)");
        }
    }
    const int window = k.integer("local_attention", 128);
    if (window < 2) throw Error(Status::invalid_config, k.file() + ": local_attention must be >= 2");
    if (!(global_theta > 1.0) || !(local_theta > 1.0))
        throw Error(Status::invalid_config, k.file() + ": rotary bases (rope_theta) must be > 1");
    c.family_options["global_attn_every_n_layers"] = every;
    c.family_options["local_attention_radius"] = window / 2;  // transformers: |i - j| <= local_attention // 2
    c.family_options["global_rope_theta"] = global_theta;
    c.family_options["local_rope_theta"] = local_theta;
}

EncoderSpec spec(const ModelConfig& c) {
    EncoderSpec s;
    s.placement = NormPlacement::pre;
    s.ffn = FfnKind::geglu;
    s.positions = PositionKind::rotary;
    s.token_types = false;
    s.biases = false;
    s.final_norm = true;
    s.first_attention_norm = false;
    s.global_every = static_cast<int>(family_option(c, "global_attn_every_n_layers"));
    s.local_radius = static_cast<int>(family_option(c, "local_attention_radius"));
    s.rope_theta = family_option(c, "global_rope_theta");
    s.rope_theta_local = family_option(c, "local_rope_theta");
    if (s.global_every < 1 || s.local_radius < 1 || !(s.rope_theta > 1.0) || !(s.rope_theta_local > 1.0) || c.head_dim() % 2 != 0)
        throw Error(Status::invalid_config, "model config: modernbert attention pattern / rotary options out of range");
    return s;
}

}  // namespace

extern const Family modernbert_family = {
    "modernbert",
    1,
    {"0.auto_model.", "model."},
    {{"head.", "the masked-LM head"}, {"decoder.", "the masked-LM decoder"}, {"classifier.", "a classification head"}},
    read_config,
    spec,
    {"embeddings.tok_embeddings", "", "", "embeddings.norm", "", "final_norm", "layers.{}.", "attn.Wqkv", "", "",
     "attn.Wo", "attn_norm", "mlp.Wi", "mlp.Wo", "mlp_norm"},
};

}  // namespace edgembed::models
