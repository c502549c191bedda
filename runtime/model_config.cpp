#include "runtime/model_config.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/models/family.h"
#include "runtime/tokenizer/tokenizer_config_json.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

const char* pooling_name(Pooling pooling) noexcept {
    switch (pooling) {
        case Pooling::mean: return "mean";
        case Pooling::cls: return "cls";
        case Pooling::max: return "max";
        case Pooling::last_token: return "lasttoken";
    }
    return "?";
}

const char* dense_activation_name(DenseActivation activation) noexcept {
    switch (activation) {
        case DenseActivation::identity: return "identity";
        case DenseActivation::tanh: return "tanh";
    }
    return "?";
}

namespace {

Pooling pooling_from_name(const std::string& name) {
    if (name == "mean") return Pooling::mean;
    if (name == "cls") return Pooling::cls;
    if (name == "max") return Pooling::max;
    if (name == "lasttoken") return Pooling::last_token;
    throw Error(Status::invalid_config, "model config: unknown pooling '" + name + "'");
}

// Reads a required key, naming it in the error.
template <class T>
T get(const nlohmann::json& object, const char* key, const char* where) {
    if (!object.is_object() || !object.contains(key))
        throw Error(Status::invalid_config, std::string(where) + ": missing key '" + key + "'");
    try {
        return object.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(Status::invalid_config, std::string(where) + ": key '" + key + "' has the wrong type");
    }
}

std::vector<DenseModule> dense_from_json(const nlohmann::json& in, const char* where) {
    if (!in.is_array()) throw Error(Status::invalid_config, std::string(where) + ": 'dense' is not an array");
    std::vector<DenseModule> out;
    for (const nlohmann::json& entry : in) {
        DenseModule d;
        d.in_features = get<int>(entry, "in_features", "model config: dense");
        d.out_features = get<int>(entry, "out_features", "model config: dense");
        d.bias = get<bool>(entry, "bias", "model config: dense");
        const std::string activation = get<std::string>(entry, "activation", "model config: dense");
        if (activation == "identity") d.activation = DenseActivation::identity;
        else if (activation == "tanh") d.activation = DenseActivation::tanh;
        else throw Error(Status::invalid_config, "model config: dense: unknown activation '" + activation + "'");
        out.push_back(d);
    }
    return out;
}

}  // namespace

void to_json(nlohmann::json& out, const ModelConfig& c) {
    out = {
        {"architecture", c.architecture},
        {"layout_revision", c.layout_revision},
        {"weight_dtype", c.weight_dtype},
        {"hidden_size", c.hidden_size},
        {"num_layers", c.num_layers},
        {"num_heads", c.num_heads},
        {"intermediate_size", c.intermediate_size},
        {"max_position_embeddings", c.max_position_embeddings},
        {"type_vocab_size", c.type_vocab_size},
        {"vocab_size", c.vocab_size},
        {"layer_norm_eps", c.layer_norm_eps},
        {"hidden_act", c.hidden_act},
        {"max_seq_length", c.max_seq_length},
        {"pooling", pooling_name(c.pooling)},
        {"normalize", c.normalize},
        {"default_temperature", c.default_temperature},
        {"family_options", c.family_options},
        {"tokenizer", c.tokenizer},
        {"source", c.source},
    };
    if (c.num_kv_heads != 0) out["num_kv_heads"] = c.num_kv_heads;  // absent in files of families without them
    if (c.head_size != 0) out["head_dim"] = c.head_size;
    if (c.auto_temperature) out["auto_temperature"] = *c.auto_temperature;
    if (!c.prompts.empty()) out["prompts"] = c.prompts;
    if (!c.default_prompt_name.empty()) out["default_prompt_name"] = c.default_prompt_name;
    if (!c.dense.empty()) {
        nlohmann::json dense = nlohmann::json::array();
        for (const DenseModule& d : c.dense)
            dense.push_back({{"in_features", d.in_features}, {"out_features", d.out_features}, {"bias", d.bias},
                             {"activation", dense_activation_name(d.activation)}});
        out["dense"] = std::move(dense);
    }
}

ModelConfig model_config_from_json(const nlohmann::json& in, std::vector<std::string>* vocab) {
    const char* where = "model config";
    ModelConfig c;
    c.architecture = get<std::string>(in, "architecture", where);
    c.layout_revision = in.contains("layout_revision") ? get<int>(in, "layout_revision", where) : 1;
    c.weight_dtype = get<std::string>(in, "weight_dtype", where);
    c.hidden_size = get<int>(in, "hidden_size", where);
    c.num_layers = get<int>(in, "num_layers", where);
    c.num_heads = get<int>(in, "num_heads", where);
    if (in.contains("num_kv_heads")) c.num_kv_heads = get<int>(in, "num_kv_heads", where);
    if (in.contains("head_dim")) c.head_size = get<int>(in, "head_dim", where);
    c.intermediate_size = get<int>(in, "intermediate_size", where);
    c.max_position_embeddings = get<int>(in, "max_position_embeddings", where);
    c.type_vocab_size = get<int>(in, "type_vocab_size", where);
    c.vocab_size = get<int>(in, "vocab_size", where);
    c.layer_norm_eps = get<float>(in, "layer_norm_eps", where);
    c.hidden_act = get<std::string>(in, "hidden_act", where);
    c.max_seq_length = get<int>(in, "max_seq_length", where);
    c.pooling = pooling_from_name(get<std::string>(in, "pooling", where));
    c.normalize = get<bool>(in, "normalize", where);
    c.default_temperature = get<float>(in, "default_temperature", where);
    c.source = in.value("source", std::string());
    if (in.contains("family_options")) c.family_options = get<std::map<std::string, double>>(in, "family_options", where);
    if (in.contains("auto_temperature"))
        c.auto_temperature = temperature_setting_from_json(in.at("auto_temperature"), "model config: auto_temperature");
    if (in.contains("prompts")) c.prompts = get<std::map<std::string, std::string>>(in, "prompts", where);
    if (in.contains("default_prompt_name")) c.default_prompt_name = get<std::string>(in, "default_prompt_name", where);
    if (in.contains("dense")) c.dense = dense_from_json(in.at("dense"), where);
    if (in.contains("tokenizer")) {
        c.tokenizer = tokenizer_config_from_json(in.at("tokenizer"), vocab);
    } else {  // written before model families: WordPiece only
        const std::string type = get<std::string>(in, "tokenizer_type", where);
        if (type != "wordpiece") throw Error(Status::invalid_config, "model config: unsupported tokenizer_type '" + type + "'");
        c.tokenizer = legacy_wordpiece_config_from_json(in.contains("wordpiece") ? in.at("wordpiece") : nlohmann::json(), vocab);
    }
    validate(c);
    return c;
}

void validate(const ModelConfig& c) {
    auto fail = [](const std::string& what) { throw Error(Status::invalid_config, "model config: " + what); };
    const std::vector<std::string> families = models::supported_families();
    if (std::find(families.begin(), families.end(), c.architecture) == families.end())
        throw Error(Status::unsupported_architecture, "model config: unsupported architecture '" + c.architecture + "'");
    if (c.layout_revision < 1) fail("layout_revision must be >= 1");
    if (c.hidden_size <= 0 || c.hidden_size > 16384) fail("hidden_size out of range");
    if (c.num_layers <= 0 || c.num_layers > 256) fail("num_layers out of range");
    if (c.num_heads <= 0 || c.num_heads > 1024) fail("num_heads out of range");
    if (c.head_size == 0 && c.hidden_size % c.num_heads != 0) fail("num_heads must divide hidden_size");
    if (c.head_size < 0 || c.head_size > 1024 || c.head_size % 2 != 0) fail("head_dim must be even and in [2, 1024] when given");
    if (c.num_kv_heads < 0 || c.num_kv_heads > c.num_heads || (c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads != 0))
        fail("num_kv_heads must divide num_heads");
    if (c.intermediate_size <= 0 || c.intermediate_size > 65536) fail("intermediate_size out of range");
    if (c.max_position_embeddings <= 2 || c.max_position_embeddings > (1 << 20)) fail("max_position_embeddings out of range");
    if (c.type_vocab_size < 0 || c.type_vocab_size > 1024) fail("type_vocab_size out of range");
    if (c.vocab_size <= 0 || c.vocab_size > (1 << 24)) fail("vocab_size out of range");
    if (!(c.layer_norm_eps > 0.0f && c.layer_norm_eps < 1.0f)) fail("layer_norm_eps out of range");
    if (c.hidden_act != "gelu" && c.hidden_act != "silu" && c.hidden_act != "gelu_pytorch_tanh")
        fail("unsupported hidden_act '" + c.hidden_act + "' (only gelu, the erf form, silu and gelu_pytorch_tanh)");
    if (c.max_seq_length < 2 || c.max_seq_length > c.max_position_embeddings)
        fail("max_seq_length must be in [2, max_position_embeddings]");
    const int max_tokens = models::family_for(c.architecture).spec(c).max_tokens(c);
    if (c.max_seq_length > max_tokens)
        fail("max_seq_length " + std::to_string(c.max_seq_length) + " is more than the " + std::to_string(max_tokens) +
             " tokens the positions allow");
    if (!(c.default_temperature > 0.0f && c.default_temperature <= 100.0f)) fail("default_temperature must be in (0, 100]");
    if (c.auto_temperature) {
        try {
            validate(*c.auto_temperature, c.num_layers, "auto_temperature");
        } catch (const Error& e) {
            fail(e.what());
        }
    }
    if (!c.default_prompt_name.empty() && c.prompts.count(c.default_prompt_name) == 0)
        fail("default_prompt_name '" + c.default_prompt_name + "' is not one of the prompts");
    for (const auto& [name, text] : c.prompts)
        if (utf8_find_invalid(name) != utf8_npos || utf8_find_invalid(text) != utf8_npos)
            fail("prompt '" + name + "' is not valid UTF-8");
    int width = c.hidden_size;  // each Dense module reads the previous one's output
    for (size_t i = 0; i < c.dense.size(); ++i) {
        const DenseModule& d = c.dense[i];
        if (d.in_features != width)
            fail("dense[" + std::to_string(i) + "] in_features " + std::to_string(d.in_features) + " differs from the " +
                 std::to_string(width) + " floats before it");
        if (d.out_features <= 0 || d.out_features > 65536) fail("dense[" + std::to_string(i) + "] out_features out of range");
        width = d.out_features;
    }
    if (!c.dense.empty() && c.layout_revision < models::kDenseModulesRevision)
        fail("Dense modules need layout_revision " + std::to_string(models::kDenseModulesRevision));
    if (c.weight_dtype != "f32" && c.weight_dtype != "f16" && c.weight_dtype != "int8")
        fail("unknown weight_dtype '" + c.weight_dtype + "'");
    validate(c.tokenizer, c.vocab_size);
}

}  // namespace edgembed
