// The shared encoder every family runs (family.h says what differs), over a packed batch: the tokens of
// every text of a batch lie back to back (no padding), linear layers run on all of them at once and
// attention runs per text, so a text of length L costs O(L^2) whatever the other lengths are. Post-LN
// BERT blocks with learned positions take attention's L x L path (fastest at their lengths); pre-norm
// rotary blocks (ModernBERT, Qwen3) the tiled one (simd f32_attention, or quant::bf16_tiled_attention for int8
// models: O(L d) memory, O(L w) work in a window, the lower triangle when causal, each K / V head once per group
// of query heads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "quant/linear.h"
#include "runtime/model_config.h"
#include "runtime/model_file/reader.h"
#include "runtime/models/encoder_spec.h"

namespace edgembed::models {

// The linear layer of an encoder layer an input feeds (LinearInputObserver).
enum class LinearInput : uint8_t { qkv, attention_out, ffn_in, ffn_out };
// Calibration (the converter's outlier channels): sees the input x [rows, width] of each linear layer.
using LinearInputObserver = std::function<void(int layer, LinearInput input, const float* x, size_t rows, size_t width)>;

// Scratch memory for one forward pass, owned by a Context (one per thread), grown as needed, and the
// context's thread budget.
struct Workspace {
    size_t threads = 1;  // threads a forward pass may use (the caller's included; base/thread_pool.h)
    LinearInputObserver observe_linear_input;  // null unless calibrating
    std::vector<float> hidden, q, k, v, attention, residual, ffn, scores;  // q holds [tokens, 3h] when fused
    std::vector<uint8_t> attention_bf16;  // per worker: packed bf16 operands of the attention products
    std::vector<float> relative_bias;     // [heads, 2 * longest - 1]: the logit bias per relative distance
    quant::LinearScratch linear;
};

struct Layer {
    // qkv: the query, key and value projections as one [3h, h] layer (when their weights share a dtype),
    // over copies of their weights, scales and biases stacked in that order (the weight copy is dropped
    // unless the layer's back end reads it after load); else query, key and value.
    std::unique_ptr<quant::Linear> qkv, query, key, value, attention_out, ffn_in, ffn_out;
    // Pre-LN blocks: a stored [q + 2 kv, h] layer as `query` ([q, h]) and this [2 kv, h] key-value layer.
    std::unique_ptr<quant::Linear> key_value;
    std::vector<uint8_t> qkv_weight;
    std::vector<float> qkv_scales, qkv_bias;
    // Post-LN: after attention, after the FFN. Pre-LN: before them (ln1 null: no norm before attention).
    const float *ln1_gamma, *ln1_beta, *ln2_gamma, *ln2_beta;
    const float *q_norm = nullptr, *k_norm = nullptr;  // QK norms' weights [head_dim] (EncoderSpec::qk_norm)
    // Norms of the attention block's and the FFN's outputs (EncoderSpec::block_output_norm), else null.
    const float *attention_output_norm = nullptr, *ffn_output_norm = nullptr;
};

class Encoder {
public:
    // Validates every tensor of the family's table (dtype and shape) and prepares the linear layers for
    // their back end. Throws Error(corrupt_model_file) naming the tensor, Error(unsupported_version) for
    // a family layout newer than this runtime's, Error(unsupported_architecture) for a spec it does not
    // implement.
    explicit Encoder(const model_file::ModelFile& file);

    // ids: the token ids of all texts back to back; offsets[i]..offsets[i+1] is text i (num_texts + 1
    // entries, offsets[0] = 0). Each text's length must be <= max_tokens().
    // logit_scales[i] multiplies QK^T in every softmax of text i (1/(tau*sqrt(d_head)) for TempScale's
    // tau, times any length-aware factor), and layer_factors[l] (null = 1) in layer l: both fold into the
    // softmax's one scale factor. On return ws.hidden holds [total tokens, hidden_size] final hidden
    // states. dc_share (null = skip) receives [(num_layers + 1) x num_texts] DC shares
    // ||mean_t x_t||^2 / mean_t ||x_t||^2 after the embeddings and after each layer.
    void forward(const int32_t* ids, const int64_t* offsets, int num_texts, const float* logit_scales,
                 const float* layer_factors, Workspace& ws, float* dc_share = nullptr) const;

    // Bytes of Workspace a forward pass over `tokens` tokens whose longest sequence has `longest` tokens
    // needs on `threads` threads (the context's own buffers; a GEMM back end's internal scratch is not
    // counted).
    size_t workspace_bytes(size_t tokens, size_t longest, size_t threads) const;

    const ModelConfig& config() const { return config_; }
    const EncoderSpec& spec() const { return spec_; }
    // The longest sequence the position scheme allows (RoBERTa-style offsets take padding_idx + 1 rows).
    int max_tokens() const { return spec_.max_tokens(config_); }
    // The precision of attention's two products: "bf16" (int8 models, unless EDGEMBED_ATTENTION=f32; AVX512-BF16
    // or its exact emulation) or "f32".
    const char* attention_precision() const { return attention_bf16_ ? "bf16" : "f32"; }
    // The linear layers' kinds, e.g. "qc8" or "f32" per layer (for reports and tests).
    std::vector<const char*> linear_kinds() const;

private:
    // Tokens per call of a pre-LN block's linear layers (encoder.cpp: pre_ln_layer).
    static constexpr size_t kPreLnChunk = 512;
    size_t linear_rows(size_t tokens) const {
        return spec_.placement == NormPlacement::pre && tokens > kPreLnChunk ? kPreLnChunk : tokens;
    }
    void embed_tokens(const int32_t* ids, const int64_t* offsets, int num_texts, float* out) const;
    // q, k, v: the projections' rows, `ld` floats apart (h, or 3h when they come from one fused layer).
    void attention(const float* q, const float* k, const float* v, size_t ld, const int64_t* offsets, int num_texts,
                   const float* logit_scales, float layer_factor, Workspace& ws) const;
    // Attention through the tiled kernel, query row i reading the keys i - before .. i + after (all: SIZE_MAX).
    // For the query rows row_begin .. row_end - 1 of the batch (q and out point at row_begin's; out may be
    // q): every head's output. k and v hold every token's rows, ldkv apart, with num_kv_heads heads each
    // (query head h reads key / value head h / (num_heads / num_kv_heads)).
    void tiled_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const int64_t* offsets,
                         int num_texts, size_t row_begin, size_t row_end, const float* logit_scales, float layer_factor,
                         size_t before, size_t after, float* out, size_t ldo, Workspace& ws) const;
    // One pre-LN block (x += attention(norm(x)); x += ffn(norm(x))) of layer l, in place on x.
    void pre_ln_layer(size_t l, float* x, const int64_t* offsets, int num_texts, const float* logit_scales,
                      float layer_factor, Workspace& ws) const;
    // x += projection(in) over n rows, through output_norm first when it is not null (then via scratch, [n, h]).
    void add_sublayer_output(const quant::Linear& projection, const float* in, size_t n, const float* output_norm, float* x,
                             float* scratch, Workspace& ws) const;
    // Rotary positions on the first `heads` heads of the batch's rows row_begin .. row_end - 1 (x points at
    // row_begin's, rows ld apart), by position within each text; each head first through the QK norm
    // `head_norm` when it is not null.
    void rotate(float* x, size_t ld, size_t heads, const float* head_norm, size_t row_begin, size_t row_end,
                const int64_t* offsets, int num_texts, bool global, size_t threads) const;
    // out = norm(in) row by row, the spec's LayerNorm or RMSNorm (beta unused) (in place allowed).
    void norm_rows(const float* in, const float* gamma, const float* beta, float* out, size_t tokens, size_t threads) const;
    // rope_cos_ / rope_sin_ for every position the model allows.
    void rotary_tables();
    // GeGLU / SwiGLU over [tokens, 2 ffn] rows: gelu or silu (first half) * second half, packed into
    // [tokens, ffn] in place.
    void gated_activation(float* inner, size_t tokens, size_t threads) const;
    void dc_share(const float* x, const int64_t* offsets, int num_texts, float* out) const;
    // ws.relative_bias for sequences of up to `longest` tokens, each bias divided by the logit scale the
    // softmax multiplies it with again (so TempScale tempers the bias as it does QK^T).
    void relative_bias(size_t longest, Workspace& ws) const;

    ModelConfig config_;
    EncoderSpec spec_;
    bool attention_bf16_ = false;
    // Embedding tables stay in the file as stored (f32 or f16); rows are read and widened as tokens need
    // them (ModelFile::read: a mapped table never becomes resident). scratch: f16 rows on their way.
    struct Table {
        const model_file::ModelFile* file = nullptr;
        const model_file::TensorView* view = nullptr;
        void row(size_t index, size_t width, float* out, std::vector<uint16_t>& scratch) const;
    };
    Table word_, position_, token_type_;
    // Copies of the small tensors a forward pass reads (biases, norms, int8 scales), so that it reads
    // nothing of the mapped file but embedding rows (the linear weights' pages are released after packing).
    std::vector<std::vector<float>> small_tensors_;
    const float *emb_gamma_ = nullptr, *emb_beta_ = nullptr;
    std::vector<float> relative_attention_bias_;  // [buckets, heads], widened to f32
    std::vector<float> zeros_;                    // the biases of a family without them
    const float *final_gamma_ = nullptr, *final_beta_ = nullptr;
    // Rotary cos / sin per position: [max_tokens, head_dim / 2], for global [0] and local [1] layers (the
    // local ones only when some layer is local).
    std::vector<float> rope_cos_[2], rope_sin_[2];
    bool tiled_attention_ = false;  // every layer through tiled_attention()
    quant::WeightArena packed_weights_;  // before layers_: their linears point into it
    std::vector<Layer> layers_;
    bool any_fused_qkv_ = false, any_separate_qkv_ = false;
};

}  // namespace edgembed::models
