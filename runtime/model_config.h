// Everything a model file says about its model besides the weights: architecture, dimensions,
// tokenizer, pooling. Stored as the "config" object of the model file's metadata JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/temperature_setting.h"

namespace edgembed {

enum class Pooling : uint8_t { mean = 0, cls = 1, max = 2 };
const char* pooling_name(Pooling pooling) noexcept;

struct WordPieceConfig {
    std::vector<std::string> vocab;  // id -> token
    bool lowercase = true;
    bool strip_accents = true;       // HF: strip_accents, or lowercase when unset
    bool handle_chinese_chars = true;
    bool clean_text = true;
    std::string unk_token = "[UNK]";
    std::string cls_token = "[CLS]";
    std::string sep_token = "[SEP]";
    std::string pad_token = "[PAD]";
    std::string continuing_subword_prefix = "##";
    int max_input_chars_per_word = 100;
    // Tokens matched verbatim in the raw text before normalization (HF added tokens with
    // normalized=false, e.g. "[CLS]", "[MASK]"), each mapped to its vocab id.
    std::vector<std::string> added_tokens;
};

struct ModelConfig {
    std::string architecture = "bert";  // the only family so far
    std::string weight_dtype = "f32";   // f32 | f16 | int8 (what the converter was asked for)
    int hidden_size = 0;
    int num_layers = 0;
    int num_heads = 0;
    int intermediate_size = 0;
    int max_position_embeddings = 0;
    int type_vocab_size = 0;
    int vocab_size = 0;
    float layer_norm_eps = 1e-12f;
    std::string hidden_act = "gelu";    // erf form
    int max_seq_length = 0;             // the model's configured default (sentence-transformers), <= max_position_embeddings
    Pooling pooling = Pooling::mean;
    bool normalize = true;
    float default_temperature = 1.0f;   // TempScale tau; 1 = the unmodified model
    // The setting `--temperature auto` applies (chosen label-free for this model); absent in models
    // converted without --auto-temperature.
    std::optional<TemperatureSetting> auto_temperature;
    std::string tokenizer_type = "wordpiece";
    WordPieceConfig wordpiece;
    std::string source;                 // free text: where the checkpoint came from

    int head_dim() const { return num_heads > 0 ? hidden_size / num_heads : 0; }
};

// Throws edgembed::Error(invalid_config) naming the offending key.
void to_json(nlohmann::json& out, const ModelConfig& config);
// vocab: the wordpiece vocabulary parsed apart from `in` (model_file/metadata_json.h), moved from; null:
// read it from in's wordpiece.vocab.
ModelConfig model_config_from_json(const nlohmann::json& in, std::vector<std::string>* vocab = nullptr);
// Checks internal consistency (positive dims, heads divide hidden, max lengths, vocab size).
void validate(const ModelConfig& config);

}  // namespace edgembed
