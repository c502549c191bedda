#include "runtime/models/bert.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "quant/f32_gemm.h"
#include "runtime/error.h"
#include "runtime/models/bert_tensors.h"
#include "simd/kernels.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace edgembed::bert {

namespace {

template <class T>
T* grow(std::vector<T>& buffer, size_t size) {
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

}  // namespace

Encoder::Encoder(const model_file::ModelFile& file) : config_(file.config()) {
    for (const TensorSpec& spec : tensor_specs(config_)) {
        if (!file.has(spec.name))
            throw Error(Status::corrupt_model_file, "model file lacks tensor '" + spec.name + "'");
        const model_file::TensorView& t = file.tensor(spec.name);
        if (t.dtype != DType::f32)
            throw Error(Status::corrupt_model_file, "tensor '" + spec.name + "' is " + dtype_name(t.dtype) +
                                                        "; this build runs f32 BERT weights only");
        if (t.shape != spec.shape)
            throw Error(Status::corrupt_model_file, "tensor '" + spec.name + "' has the wrong shape for the config");
    }
    auto f = [&](const std::string& name) { return static_cast<const float*>(file.tensor(name).data); };
    word_ = f("embeddings.word_embeddings.weight");
    position_ = f("embeddings.position_embeddings.weight");
    token_type_ = f("embeddings.token_type_embeddings.weight");
    emb_gamma_ = f("embeddings.LayerNorm.weight");
    emb_beta_ = f("embeddings.LayerNorm.bias");
    for (int i = 0; i < config_.num_layers; ++i) {
        const std::string p = layer_prefix(i);
        layers_.push_back(LayerWeights{
            f(p + "attention.self.query.weight"), f(p + "attention.self.query.bias"),
            f(p + "attention.self.key.weight"), f(p + "attention.self.key.bias"),
            f(p + "attention.self.value.weight"), f(p + "attention.self.value.bias"),
            f(p + "attention.output.dense.weight"), f(p + "attention.output.dense.bias"),
            f(p + "attention.output.LayerNorm.weight"), f(p + "attention.output.LayerNorm.bias"),
            f(p + "intermediate.dense.weight"), f(p + "intermediate.dense.bias"),
            f(p + "output.dense.weight"), f(p + "output.dense.bias"),
            f(p + "output.LayerNorm.weight"), f(p + "output.LayerNorm.bias"),
        });
    }
}

void Encoder::embed_tokens(const int32_t* ids, const int64_t* offsets, int num_texts, float* out) const {
    const simd::Kernels& k = simd::kernels();
    const size_t h = static_cast<size_t>(config_.hidden_size);
    std::vector<float> sum(h);
    for (int t = 0; t < num_texts; ++t) {
        const int64_t length = offsets[t + 1] - offsets[t];
        if (length > config_.max_position_embeddings)
            throw Error(Status::limit_exceeded, "text of " + std::to_string(length) + " tokens exceeds the model's " +
                                                    std::to_string(config_.max_position_embeddings) + " positions");
        for (int64_t p = 0; p < length; ++p) {
            const int32_t id = ids[offsets[t] + p];
            if (id < 0 || id >= config_.vocab_size)
                throw Error(Status::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary");
            k.f32_add(word_ + static_cast<size_t>(id) * h, position_ + static_cast<size_t>(p) * h, sum.data(), h);
            k.f32_add(sum.data(), token_type_, sum.data(), h);  // token type 0: single-text inputs
            k.f32_layernorm(sum.data(), emb_gamma_, emb_beta_, config_.layer_norm_eps,
                            out + static_cast<size_t>(offsets[t] + p) * h, h);
        }
    }
}

void Encoder::attention(const int64_t* offsets, int num_texts, float logit_scale,
                        Workspace& ws) const {
    const size_t h = static_cast<size_t>(config_.hidden_size);
    const int heads = config_.num_heads;
    const size_t d = static_cast<size_t>(config_.head_dim());
    int64_t longest = 0;
    for (int t = 0; t < num_texts; ++t) longest = std::max(longest, offsets[t + 1] - offsets[t]);
#if defined(_OPENMP)
    const int workers = omp_get_max_threads();
#else
    const int workers = 1;
#endif
    float* scores_all = grow(ws.scores, static_cast<size_t>(workers) * longest * longest);
    const simd::Kernels& k = simd::kernels();
    // One task per (text, head): each owns disjoint columns of the output rows of its text.
    const int tasks = num_texts * heads;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic)
#endif
    for (int task = 0; task < tasks; ++task) {
#if defined(_OPENMP)
        float* scores = scores_all + static_cast<size_t>(omp_get_thread_num()) * longest * longest;
#else
        float* scores = scores_all;
#endif
        const int t = task / heads, head = task % heads;
        const size_t first = static_cast<size_t>(offsets[t]);
        const size_t length = static_cast<size_t>(offsets[t + 1] - offsets[t]);
        const size_t column = static_cast<size_t>(head) * d;
        const float* q = ws.q.data() + first * h + column;
        const float* key = ws.k.data() + first * h + column;
        const float* v = ws.v.data() + first * h + column;
        quant::f32_gemm(q, h, key, h, /*b_transposed=*/true, 1.0f, scores, length, length, length, d);
        for (size_t row = 0; row < length; ++row)
            k.f32_softmax(scores + row * length, nullptr, logit_scale, scores + row * length, length);
        quant::f32_gemm(scores, length, v, h, /*b_transposed=*/false, 1.0f, ws.attention.data() + first * h + column, h,
                        length, d, length);
    }
}

void Encoder::forward(const int32_t* ids, const int64_t* offsets, int num_texts, float logit_scale,
                      Workspace& ws) const {
    const size_t tokens = static_cast<size_t>(offsets[num_texts]);
    const size_t h = static_cast<size_t>(config_.hidden_size);
    const size_t ffn = static_cast<size_t>(config_.intermediate_size);
    float* x = grow(ws.hidden, tokens * h);
    grow(ws.q, tokens * h);
    grow(ws.k, tokens * h);
    grow(ws.v, tokens * h);
    grow(ws.attention, tokens * h);
    float* residual = grow(ws.residual, tokens * h);
    float* inner = grow(ws.ffn, tokens * ffn);
    const simd::Kernels& k = simd::kernels();

    embed_tokens(ids, offsets, num_texts, x);
    for (const LayerWeights& w : layers_) {
        quant::f32_linear(x, h, w.wq, w.bq, ws.q.data(), h, tokens, h, h, false);
        quant::f32_linear(x, h, w.wk, w.bk, ws.k.data(), h, tokens, h, h, false);
        quant::f32_linear(x, h, w.wv, w.bv, ws.v.data(), h, tokens, h, h, false);
        attention(offsets, num_texts, logit_scale, ws);
        std::memcpy(residual, x, tokens * h * sizeof(float));
        quant::f32_linear(ws.attention.data(), h, w.wo, w.bo, residual, h, tokens, h, h, true);
        for (size_t i = 0; i < tokens; ++i)
            k.f32_layernorm(residual + i * h, w.ln1_gamma, w.ln1_beta, config_.layer_norm_eps, x + i * h, h);

        quant::f32_linear(x, h, w.w_in, w.b_in, inner, ffn, tokens, ffn, h, false);
        k.f32_gelu(inner, inner, tokens * ffn);
        std::memcpy(residual, x, tokens * h * sizeof(float));
        quant::f32_linear(inner, ffn, w.w_out, w.b_out, residual, h, tokens, h, ffn, true);
        for (size_t i = 0; i < tokens; ++i)
            k.f32_layernorm(residual + i * h, w.ln2_gamma, w.ln2_beta, config_.layer_norm_eps, x + i * h, h);
    }
}

}  // namespace edgembed::bert
