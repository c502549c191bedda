// A model family: what one Hugging Face model_type needs beyond the shared encoder (encoder.h). One
// small file per family (bert.cpp, ..., modernbert.cpp, qwen3.cpp) defines one of these; the
// list of them is written once, in families.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/json_keys.h"
#include "runtime/model_config.h"
#include "runtime/models/encoder_spec.h"

namespace edgembed::models {

// The layout revision from which a family's int8 linear weights may carry outlier channels
// (base/dtype.h); the converter writes it only into files that have them.
inline constexpr int kOutlierChannelsRevision = 2;
// The layout revision of files holding sentence-transformers Dense modules (ModelConfig::dense), any family:
// the converter writes it only into files that have them, so that runtimes without them refuse the file.
inline constexpr int kDenseModulesRevision = 3;

struct Family {
    const char* name;     // config.json's model_type; stored as the model config's architecture
    int layout_revision;  // of the stored tensor names and family options; a newer file is refused at load
                          // (2: int8 outlier channels, kOutlierChannelsRevision)
    // Prefixes stripped (repeatedly) from checkpoint tensor names: "0.auto_model.", "bert.", ...
    std::vector<std::string> checkpoint_prefixes;
    // Checkpoint tensors an encoder never uses, by name prefix after stripping, with what they are.
    std::vector<std::pair<std::string, std::string>> ignored;
    // Converter: config.json into the dimensions and family options of `out`; refuses what the runtime
    // does not implement (Error(unsupported_architecture) naming the key).
    void (*read_hf_config)(const JsonKeys& config, ModelConfig& out);
    // The encoder this config describes; throws Error(invalid_config) on inconsistent family options.
    EncoderSpec (*spec)(const ModelConfig& config);
    TensorNames names;
    // Stored layer tensors the converter stacks from checkpoint tensors, their rows in the order listed
    // (relative layer names, without ".weight" / ".bias"): Qwen3's q_proj, k_proj, v_proj as names.query.
    std::vector<std::pair<std::string, std::vector<std::string>>> stacked = {};
    // Added to every norm weight (TensorSpec::is_norm_weight) at conversion, in float: Gemma's RMSNorm scales by
    // (1 + w), so its files store 1 + w and the runtime's RMSNorm multiplies by the stored weight as for
    // every other family.
    float norm_weight_offset = 0.0f;
};

// Throws Error(unsupported_architecture) listing the supported families.
const Family& family_for(const std::string& model_type);
std::vector<std::string> supported_families();

// The tensor table of a model config's family.
std::vector<TensorSpec> tensor_specs(const ModelConfig& config);

// config.json keys BERT, RoBERTa, XLM-R and MPNet share: hidden_size, num_hidden_layers,
// num_attention_heads, intermediate_size, max_position_embeddings, vocab_size, layer_norm_eps and
// hidden_act (only the erf GELU).
void read_bert_style_dimensions(const JsonKeys& config, ModelConfig& out);
// The six size keys alone (hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
// max_position_embeddings, vocab_size).
void read_encoder_dimensions(const JsonKeys& config, ModelConfig& out);
// Refuses config.json's BERT variants the shared encoder does not run: position_embedding_type other than
// "absolute", decoders and cross-attention (BERT, RoBERTa and XLM-R configs carry these keys).
void require_absolute_bidirectional(const JsonKeys& config);
// A rotary config object of transformers 5 (rope_parameters, or one layer kind's entry of it, named by `where`
// in messages): only the default (unscaled) rope_type; its rope_theta, when given, into theta. Refuses any
// other type or key with Error(unsupported_architecture) naming it.
void read_default_rope(const JsonKeys& config, const nlohmann::json& params, const std::string& where, double& theta);
// transformers 5's rope_parameters of a model with full and sliding layers: {"full_attention": {...},
// "sliding_attention": {...}}, each kind through read_default_rope (an absent or null kind keeps its theta);
// any other key refused naming it.
void read_layer_kind_ropes(const JsonKeys& config, double& full_theta, double& sliding_theta);
// The blocks of the decoder-style families (Qwen3, Gemma3): pre-norm RMSNorm without biases, rotary positions,
// RMSNorm on each query and key head, a final norm; no token types, no embedding norm.
EncoderSpec rms_norm_rotary_spec();
// Their checkpoints' separate projections stacked as the encoder's layers: q_proj, k_proj, v_proj as
// self_attn.qkv_proj; gate_proj, up_proj as mlp.gate_up_proj (the activated half first).
std::vector<std::pair<std::string, std::vector<std::string>>> stacked_qkv_and_gate_up();
// A family option the converter stored (ModelConfig::family_options); Error(invalid_config) when absent.
double family_option(const ModelConfig& config, const char* key);

}  // namespace edgembed::models
