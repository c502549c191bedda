// What a model family tells the shared encoder (encoder.h): the shape of its blocks, and the names of
// its tensors. A family (runtime/models/<family>.cpp) fills both in from the model config; the loader,
// the converter and the quality gate read the tensor table from here, so every name is spelled once.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace edgembed::models {

enum class NormKind : uint8_t { layer_norm, rms_norm };
// post: x = norm(x + block(x)) (BERT); pre: x = x + block(norm(x)) (EncoderSpec::block_output_norm: x = x +
// norm2(block(norm1(x))), Gemma's "sandwich").
enum class NormPlacement : uint8_t { post, pre };
// geglu: GELU (erf form) gated; geglu_tanh: GELU's tanh form gated (Gemma's gelu_pytorch_tanh); swiglu: SiLU gated.
enum class FfnKind : uint8_t { gelu, gelu_tanh, relu, geglu, swiglu, geglu_tanh };
// learned: a position table row per token; learned_relative_bias: the table plus a bias on the attention
// logits per relative-distance bucket shared by all layers (MPNet); rotary: no table, rotated q / k.
enum class PositionKind : uint8_t { learned, learned_relative_bias, rotary };

struct EncoderSpec {
    NormKind norm = NormKind::layer_norm;
    NormPlacement placement = NormPlacement::post;
    FfnKind ffn = FfnKind::gelu;
    PositionKind positions = PositionKind::learned;
    // Learned positions: -1 = token p reads row p; else RoBERTa's rule: row padding_idx + (the number of
    // tokens up to p that are not padding_idx), and padding_idx for a padding token itself.
    int position_padding_idx = -1;
    int relative_buckets = 0, relative_max_distance = 0;  // learned_relative_bias
    bool token_types = true;    // adds row 0 of the token-type table (single-text inputs)
    bool biases = true;         // linear layers and norms have biases
    bool embedding_norm = true;
    bool final_norm = false;
    // Pre-LN families whose first layer feeds its input to attention without a norm (ModernBERT).
    bool first_attention_norm = true;
    // Pre-norm blocks whose sublayer outputs also go through a norm before the residual add (Gemma3): names
    // attention_output_norm and ffn_output_norm.
    bool block_output_norm = false;
    // Token embeddings multiplied by this (Gemma3: sqrt(hidden_size) in float); 1 = none.
    float embedding_scale = 1.0f;
    // Attention logits scale by attention_scalar^-0.5 (0: head_dim, the usual 1/sqrt(d); Gemma3's
    // query_pre_attn_scalar); TempScale's factors multiply the same scale.
    double attention_scalar = 0.0;
    // Attention pattern: layer l attends to every key when global_every == 0 or l % global_every ==
    // global_phase (ModernBERT: every 3rd from layer 0; Gemma3: every 6th from layer 5), else to the keys within
    // local_radius tokens on either side (|i - j| <= local_radius).
    int global_every = 0, global_phase = 0, local_radius = 0;
    // Causal attention (decoder embedders, Qwen3): query i attends to the keys j <= i (within the window).
    bool causal = false;
    // QK norms (Qwen3, Gemma3; RMSNorm families): each query and key head goes through an RMSNorm over head_dim
    // (weights names.query_norm / key_norm) before the rotary embedding.
    bool qk_norm = false;
    // Rotary positions (rotate-half over the whole head): the base of the global and of the local layers.
    double rope_theta = 10000.0, rope_theta_local = 10000.0;
    bool any_local() const { return global_every > 1; }
    bool is_global(int layer) const { return global_every == 0 || layer % global_every == global_phase; }
    // The scalar whose inverse square root scales attention logits.
    double logit_scalar(const ModelConfig& c) const { return attention_scalar > 0.0 ? attention_scalar : c.head_dim(); }
    bool logit_scalar_positive() const { return attention_scalar >= 0.0 && std::isfinite(attention_scalar); }
    // Positions a text may use: max_position_embeddings less what the padding offset takes.
    int max_tokens(const ModelConfig& c) const {
        return position_padding_idx < 0 ? c.max_position_embeddings : c.max_position_embeddings - position_padding_idx - 1;
    }
};

// GeGLU / SwiGLU: the FFN's input layer gives 2 x intermediate_size outputs.
inline bool gated_ffn(const EncoderSpec& s) {
    return s.ffn == FfnKind::geglu || s.ffn == FfnKind::swiglu || s.ffn == FfnKind::geglu_tanh;
}

// Stored names without ".weight" / ".bias" (the checkpoint's, or a family's stacked ones: Family::stacked);
// "" where the family has no such tensor. Layer names are relative to `layer` with "{}" standing for the
// layer index. key and value "" with a query name: the projections are one [q + 2 kv, h] layer under that
// name (ModernBERT's Wqkv; q = num_heads x head_dim rows, kv = num_kv_heads x head_dim, so [3h, h] without
// grouped-query attention). A gated FFN (GeGLU / SwiGLU) stores ffn_in as [2 ffn, h]: the activated half
// first, then the gate.
struct TensorNames {
    std::string word_embeddings, position_embeddings, token_type_embeddings, embedding_norm;
    std::string relative_attention_bias;  // [buckets, heads]
    std::string final_norm;
    std::string layer;
    std::string query, key, value, attention_out, attention_norm, ffn_in, ffn_out, ffn_norm;
    std::string query_norm = "", key_norm = "";  // [head_dim] each (EncoderSpec::qk_norm)
    // After the attention block's and the FFN's output projections (EncoderSpec::block_output_norm).
    std::string attention_output_norm = "", ffn_output_norm = "";
};

struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    bool is_linear_weight;  // [out, in] matrix of a linear layer (quantizable)
    int layer;              // encoder layer, -1 for the embeddings and shared tensors
    bool is_norm_weight = false;  // a LayerNorm / RMSNorm weight (Family::norm_weight_offset applies)
};

// Every tensor the encoder reads, with the shape the config implies, in a fixed order.
std::vector<TensorSpec> tensor_specs(const EncoderSpec& spec, const TensorNames& names, const ModelConfig& config);
// names.layer with its index filled in.
std::string layer_prefix(const TensorNames& names, int layer);
// The linear layers' weight names of one layer (for the quality gate's per-layer f16 fallback).
std::vector<std::string> layer_linear_weights(const TensorNames& names, int layer);

}  // namespace edgembed::models
