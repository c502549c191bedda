// Everything a model file says about its model besides the weights: architecture, dimensions,
// tokenizer, pooling. Stored as the "config" object of the model file's metadata JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/temperature_setting.h"
#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

// last_token: the text's last token (its EOS where the tokenizer appends one), sentence-transformers' lasttoken.
enum class Pooling : uint8_t { mean = 0, cls = 1, max = 2, last_token = 3 };
const char* pooling_name(Pooling pooling) noexcept;

// A sentence-transformers Dense module after pooling: y = activation(x W^T + b), W [out_features, in_features]
// stored as "dense.<i>.weight" (and "dense.<i>.bias" when bias), runtime/dense_modules.h.
enum class DenseActivation : uint8_t { identity = 0, tanh = 1 };
const char* dense_activation_name(DenseActivation activation) noexcept;  // "identity", "tanh"
struct DenseModule {
    int in_features = 0, out_features = 0;
    bool bias = false;
    DenseActivation activation = DenseActivation::identity;
};

struct ModelConfig {
    std::string architecture = "bert";  // the family (runtime/models/family.h): config.json's model_type
    int layout_revision = 1;            // of the family's stored layout (1 where a file predates the key)
    std::string weight_dtype = "f32";   // f32 | f16 | int8 (what the converter was asked for)
    int hidden_size = 0;
    int num_layers = 0;
    int num_heads = 0;
    int num_kv_heads = 0;               // grouped-query attention's key / value heads; 0 (absent): num_heads
    int head_size = 0;                  // floats per head; 0 (absent): hidden_size / num_heads
    int intermediate_size = 0;
    int max_position_embeddings = 0;
    int type_vocab_size = 0;            // 0: the family has no token types
    int vocab_size = 0;
    float layer_norm_eps = 1e-12f;
    std::string hidden_act = "gelu";    // the FFN's activation: gelu (erf form), silu (Qwen3's SwiGLU) or
                                        // gelu_pytorch_tanh (Gemma3's GeGLU)
    int max_seq_length = 0;             // the model's configured default (sentence-transformers), <= max_position_embeddings
    Pooling pooling = Pooling::mean;
    bool normalize = true;
    float default_temperature = 1.0f;   // TempScale tau; 1 = the unmodified model
    // The setting `--temperature auto` applies (chosen label-free for this model); absent in models
    // converted without --auto-temperature.
    std::optional<TemperatureSetting> auto_temperature;
    // Settings only one family reads (e.g. MPNet's relative-attention buckets), parsed by that family.
    std::map<std::string, double> family_options;
    // sentence-transformers prompts (config_sentence_transformers.json): name -> text prepended to each
    // text before tokenizing (runtime/prompts.h); default_prompt_name ("" = none) applies when a call
    // names none. Both absent in files converted before 0.3.0 or from models without prompts.
    std::map<std::string, std::string> prompts;
    std::string default_prompt_name;
    // sentence-transformers Dense modules between pooling and Normalize, in order (absent in files converted
    // before 0.4.0 and from folders without them).
    std::vector<DenseModule> dense;
    TokenizerConfig tokenizer;
    std::string source;                 // free text: where the checkpoint came from

    int head_dim() const { return head_size > 0 ? head_size : num_heads > 0 ? hidden_size / num_heads : 0; }
    int kv_heads() const { return num_kv_heads > 0 ? num_kv_heads : num_heads; }
    // Widths of the attention's query (and output) rows and of its key / value rows.
    int query_width() const { return num_heads * head_dim(); }
    int kv_width() const { return kv_heads() * head_dim(); }
    // Floats per embedding: the last Dense module's out_features, else hidden_size.
    int output_dimension() const { return dense.empty() ? hidden_size : dense.back().out_features; }
};

// Throws edgembed::Error(invalid_config) naming the offending key.
void to_json(nlohmann::json& out, const ModelConfig& config);
// vocab: the tokenizer's vocabulary parsed apart from `in` (model_file/metadata_json.h), moved from; null:
// read it from the JSON. Reads both layouts: config.tokenizer (now) and config.wordpiece (files written
// before model families, whose template and added tokens are derived from the special tokens).
ModelConfig model_config_from_json(const nlohmann::json& in, std::vector<std::string>* vocab = nullptr);
// Checks internal consistency (positive dims, heads divide hidden, max lengths, vocab size).
void validate(const ModelConfig& config);

}  // namespace edgembed
