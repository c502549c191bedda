#include "runtime/model_config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace edgembed {

const char* pooling_name(Pooling pooling) noexcept {
    switch (pooling) {
        case Pooling::mean: return "mean";
        case Pooling::cls: return "cls";
        case Pooling::max: return "max";
    }
    return "?";
}

namespace {

Pooling pooling_from_name(const std::string& name) {
    if (name == "mean") return Pooling::mean;
    if (name == "cls") return Pooling::cls;
    if (name == "max") return Pooling::max;
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

}  // namespace

void to_json(nlohmann::json& out, const ModelConfig& c) {
    const WordPieceConfig& w = c.wordpiece;
    out = {
        {"architecture", c.architecture},
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
        {"tokenizer_type", c.tokenizer_type},
        {"wordpiece",
         {{"vocab", w.vocab},
          {"lowercase", w.lowercase},
          {"strip_accents", w.strip_accents},
          {"handle_chinese_chars", w.handle_chinese_chars},
          {"clean_text", w.clean_text},
          {"unk_token", w.unk_token},
          {"cls_token", w.cls_token},
          {"sep_token", w.sep_token},
          {"pad_token", w.pad_token},
          {"continuing_subword_prefix", w.continuing_subword_prefix},
          {"max_input_chars_per_word", w.max_input_chars_per_word},
          {"added_tokens", w.added_tokens}}},
        {"source", c.source},
    };
    if (c.auto_temperature) out["auto_temperature"] = *c.auto_temperature;
}

ModelConfig model_config_from_json(const nlohmann::json& in, std::vector<std::string>* vocab) {
    const char* where = "model config";
    ModelConfig c;
    c.architecture = get<std::string>(in, "architecture", where);
    c.weight_dtype = get<std::string>(in, "weight_dtype", where);
    c.hidden_size = get<int>(in, "hidden_size", where);
    c.num_layers = get<int>(in, "num_layers", where);
    c.num_heads = get<int>(in, "num_heads", where);
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
    c.tokenizer_type = get<std::string>(in, "tokenizer_type", where);
    c.source = in.value("source", std::string());
    if (in.contains("auto_temperature"))
        c.auto_temperature = temperature_setting_from_json(in.at("auto_temperature"), "model config: auto_temperature");
    if (c.tokenizer_type == "wordpiece") {
        const nlohmann::json& w = in.contains("wordpiece") ? in.at("wordpiece") : nlohmann::json();
        const char* wp = "model config: wordpiece";
        WordPieceConfig& out = c.wordpiece;
        if (vocab != nullptr) out.vocab = std::move(*vocab);
        else out.vocab = get<std::vector<std::string>>(w, "vocab", wp);
        out.lowercase = get<bool>(w, "lowercase", wp);
        out.strip_accents = get<bool>(w, "strip_accents", wp);
        out.handle_chinese_chars = get<bool>(w, "handle_chinese_chars", wp);
        out.clean_text = get<bool>(w, "clean_text", wp);
        out.unk_token = get<std::string>(w, "unk_token", wp);
        out.cls_token = get<std::string>(w, "cls_token", wp);
        out.sep_token = get<std::string>(w, "sep_token", wp);
        out.pad_token = get<std::string>(w, "pad_token", wp);
        out.continuing_subword_prefix = get<std::string>(w, "continuing_subword_prefix", wp);
        out.max_input_chars_per_word = get<int>(w, "max_input_chars_per_word", wp);
        out.added_tokens = get<std::vector<std::string>>(w, "added_tokens", wp);
    }
    validate(c);
    return c;
}

void validate(const ModelConfig& c) {
    auto fail = [](const std::string& what) { throw Error(Status::invalid_config, "model config: " + what); };
    if (c.architecture != "bert")
        throw Error(Status::unsupported_architecture, "model config: unsupported architecture '" + c.architecture + "'");
    if (c.hidden_size <= 0 || c.hidden_size > 16384) fail("hidden_size out of range");
    if (c.num_layers <= 0 || c.num_layers > 256) fail("num_layers out of range");
    if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0) fail("num_heads must divide hidden_size");
    if (c.intermediate_size <= 0 || c.intermediate_size > 65536) fail("intermediate_size out of range");
    if (c.max_position_embeddings <= 2 || c.max_position_embeddings > (1 << 20)) fail("max_position_embeddings out of range");
    if (c.type_vocab_size <= 0 || c.type_vocab_size > 1024) fail("type_vocab_size out of range");
    if (c.vocab_size <= 0 || c.vocab_size > (1 << 24)) fail("vocab_size out of range");
    if (!(c.layer_norm_eps > 0.0f && c.layer_norm_eps < 1.0f)) fail("layer_norm_eps out of range");
    if (c.hidden_act != "gelu") fail("unsupported hidden_act '" + c.hidden_act + "' (only the erf GELU)");
    if (c.max_seq_length < 2 || c.max_seq_length > c.max_position_embeddings)
        fail("max_seq_length must be in [2, max_position_embeddings]");
    if (!(c.default_temperature > 0.0f && c.default_temperature <= 100.0f)) fail("default_temperature must be in (0, 100]");
    if (c.auto_temperature) {
        try {
            validate(*c.auto_temperature, c.num_layers, "auto_temperature");
        } catch (const Error& e) {
            fail(e.what());
        }
    }
    if (c.weight_dtype != "f32" && c.weight_dtype != "f16" && c.weight_dtype != "int8")
        fail("unknown weight_dtype '" + c.weight_dtype + "'");
    if (c.tokenizer_type != "wordpiece") fail("unsupported tokenizer_type '" + c.tokenizer_type + "'");
    const WordPieceConfig& w = c.wordpiece;
    if (static_cast<int>(w.vocab.size()) != c.vocab_size)
        fail("wordpiece vocab has " + std::to_string(w.vocab.size()) + " entries, vocab_size is " + std::to_string(c.vocab_size));
    if (w.max_input_chars_per_word <= 0) fail("max_input_chars_per_word must be positive");
}

}  // namespace edgembed
