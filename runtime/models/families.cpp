#include "runtime/models/family.h"

#include "base/error.h"

namespace edgembed::models {

extern const Family bert_family, distilbert_family, roberta_family, xlm_roberta_family, mpnet_family, modernbert_family,
    qwen3_family, gemma3_family;

namespace {
const Family* const kFamilies[] = {&bert_family,  &distilbert_family, &gemma3_family,  &modernbert_family,
                                   &mpnet_family, &qwen3_family,      &roberta_family, &xlm_roberta_family};
}  // namespace

std::vector<std::string> supported_families() {
    std::vector<std::string> names;
    for (const Family* f : kFamilies) names.push_back(f->name);
    return names;
}

const Family& family_for(const std::string& model_type) {
    for (const Family* f : kFamilies)
        if (model_type == f->name) return *f;
    std::string list;
    for (const std::string& name : supported_families()) list += (list.empty() ? "" : ", ") + name;
    throw Error(Status::unsupported_architecture, "unsupported model_type '" + model_type + "' (supported: " + list + ")");
}

std::vector<TensorSpec> tensor_specs(const ModelConfig& config) {
    const Family& family = family_for(config.architecture);
    return tensor_specs(family.spec(config), family.names, config);
}

void read_bert_style_dimensions(const JsonKeys& k, ModelConfig& c) {
    const std::string act = k.string("hidden_act", std::string("gelu"));
    if (act != "gelu")
        throw Error(Status::unsupported_architecture, k.file() + ": hidden_act '" + act + "' is not supported (only 'gelu', the erf form)");
    c.hidden_act = "gelu";
    read_encoder_dimensions(k, c);
    c.layer_norm_eps = static_cast<float>(k.number("layer_norm_eps").value_or(1e-12));
}

void read_encoder_dimensions(const JsonKeys& k, ModelConfig& c) {
    c.hidden_size = k.integer("hidden_size");
    c.num_layers = k.integer("num_hidden_layers");
    c.num_heads = k.integer("num_attention_heads");
    c.intermediate_size = k.integer("intermediate_size");
    c.max_position_embeddings = k.integer("max_position_embeddings");
    c.vocab_size = k.integer("vocab_size");
}

void require_absolute_bidirectional(const JsonKeys& k) {
    const std::string position = k.string("position_embedding_type", std::string("absolute"));
    if (position != "absolute")
        throw Error(Status::unsupported_architecture, k.file() + ": position_embedding_type '" + position + "' is not supported (only 'absolute')");
    if (k.boolean("is_decoder", false) || k.boolean("add_cross_attention", false))
        throw Error(Status::unsupported_architecture, k.file() + ": decoder / cross-attention models are not supported");
}

void read_default_rope(const JsonKeys& k, const nlohmann::json& params, const std::string& where, double& theta) {
    auto refuse = [&](const std::string& what) {
        throw Error(Status::unsupported_architecture, k.file() + ": " + what + " is not supported");
    };
    if (!params.is_object()) refuse(where + " that is not an object");
    const JsonKeys p(params, k.file() + " " + where);
    const std::string type = p.string("rope_type", std::string("default"));
    if (type != "default") refuse(where + ".rope_type '" + type + "' (only 'default')");
    if (const auto t = p.number("rope_theta")) theta = *t;
    for (const auto& [key, value] : params.items())
        if (key != "rope_type" && key != "rope_theta") refuse(where + "." + key);
}

void read_layer_kind_ropes(const JsonKeys& k, double& full_theta, double& sliding_theta) {
    const nlohmann::json& all = k.raw("rope_parameters");
    if (!all.is_object())
        throw Error(Status::unsupported_architecture, k.file() + ": rope_parameters that is not an object of layer kinds is not supported");
    for (const auto& [kind, params] : all.items()) {
        if (kind != "full_attention" && kind != "sliding_attention")
            throw Error(Status::unsupported_architecture,
                        k.file() + ": rope_parameters." + kind + " (only full_attention and sliding_attention) is not supported");
        if (!params.is_null())
            read_default_rope(k, params, "rope_parameters." + kind, kind == "full_attention" ? full_theta : sliding_theta);
    }
}

EncoderSpec rms_norm_rotary_spec() {
    EncoderSpec s;
    s.norm = NormKind::rms_norm;
    s.placement = NormPlacement::pre;
    s.positions = PositionKind::rotary;
    s.token_types = false;
    s.biases = false;
    s.embedding_norm = false;
    s.final_norm = true;
    s.qk_norm = true;
    return s;
}

std::vector<std::pair<std::string, std::vector<std::string>>> stacked_qkv_and_gate_up() {
    return {{"self_attn.qkv_proj", {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"}},
            {"mlp.gate_up_proj", {"mlp.gate_proj", "mlp.up_proj"}}};
}

double family_option(const ModelConfig& c, const char* key) {
    auto it = c.family_options.find(key);
    if (it == c.family_options.end())
        throw Error(Status::invalid_config, "model config: the " + c.architecture + " family needs the option '" + key + "'");
    return it->second;
}

}  // namespace edgembed::models
