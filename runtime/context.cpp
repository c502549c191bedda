#include "runtime/context.h"

#include <algorithm>

#include "runtime/error.h"
#include "runtime/pooling.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace edgembed {

int Context::effective_max_length(int requested) const {
    const ModelConfig& c = model_->config();
    if (requested == 0) return c.max_seq_length;
    if (requested < 2 || requested > c.max_position_embeddings)
        throw Error(Status::invalid_argument, "max length " + std::to_string(requested) + " is outside [2, " +
                                                  std::to_string(c.max_position_embeddings) +
                                                  "] (the model's position-embedding size)");
    return requested;
}

float Context::effective_temperature(float requested) const {
    if (std::isnan(requested)) return model_->config().default_temperature;
    if (!(requested > 0.0f) || !std::isfinite(requested))
        throw Error(Status::invalid_argument, "temperature must be a finite number > 0");
    return requested;
}

std::vector<int32_t> Context::tokenize(std::string_view text, int max_length) const {
    return model_->tokenizer().encode(text, effective_max_length(max_length));
}

void Context::prepare(const EmbedOptions& options, float* logit_scale, bool* normalize) const {
    const ModelConfig& c = model_->config();
    const float tau = effective_temperature(options.temperature);
    if (options.batch_size < 1) throw Error(Status::invalid_argument, "batch size must be >= 1");
    if (options.threads < 0) throw Error(Status::invalid_argument, "thread count must be >= 0");
#if defined(_OPENMP)
    if (options.threads > 0) omp_set_num_threads(options.threads);
#endif
    *normalize = options.normalize < 0 ? c.normalize : options.normalize != 0;
    // TempScale folded into the softmax's one scale factor: softmax(QK^T / (tau * sqrt(d)) + M).
    *logit_scale = 1.0f / (tau * std::sqrt(static_cast<float>(c.head_dim())));
}

void Context::run_batch(float logit_scale, bool normalize, float* out) {
    const ModelConfig& c = model_->config();
    const size_t dim = static_cast<size_t>(c.hidden_size);
    const int count = static_cast<int>(offsets_.size()) - 1;
    model_->encoder().forward(ids_.data(), offsets_.data(), count, logit_scale, workspace_);
    for (int t = 0; t < count; ++t) {
        float* vector = out + static_cast<size_t>(t) * dim;
        const size_t first = static_cast<size_t>(offsets_[t]);
        pool(c.pooling, workspace_.hidden.data() + first * dim, static_cast<size_t>(offsets_[t + 1]) - first, dim, vector);
        if (normalize) l2_normalize(vector, dim);
    }
}

EmbedStats Context::embed(const std::vector<std::string_view>& texts, const EmbedOptions& options, float* out) {
    const int max_length = effective_max_length(options.max_length);
    float logit_scale;
    bool normalize;
    prepare(options, &logit_scale, &normalize);
    const size_t dim = static_cast<size_t>(model_->dimension());
    EmbedStats stats;
    for (size_t begin = 0; begin < texts.size(); begin += static_cast<size_t>(options.batch_size)) {
        const size_t end = std::min(texts.size(), begin + static_cast<size_t>(options.batch_size));
        ids_.clear();
        offsets_.assign(1, 0);
        for (size_t i = begin; i < end; ++i) {
            std::vector<int32_t> ids;
            try {
                ids = model_->tokenizer().encode(texts[i], 0);
            } catch (const Error& e) {
                throw Error(e.status(), "text " + std::to_string(i) + ": " + e.what());
            }
            if (ids.size() > static_cast<size_t>(max_length)) {
                ids.resize(static_cast<size_t>(max_length));
                ids.back() = model_->tokenizer().sep_id();
                ++stats.truncated;
            }
            ids_.insert(ids_.end(), ids.begin(), ids.end());
            offsets_.push_back(static_cast<int64_t>(ids_.size()));
        }
        run_batch(logit_scale, normalize, out + begin * dim);
        stats.texts += end - begin;
        stats.tokens += ids_.size();
    }
    return stats;
}

EmbedStats Context::embed_ids(const std::vector<std::vector<int32_t>>& inputs, const EmbedOptions& options, float* out) {
    float logit_scale;
    bool normalize;
    prepare(options, &logit_scale, &normalize);
    const size_t dim = static_cast<size_t>(model_->dimension());
    EmbedStats stats;
    for (size_t begin = 0; begin < inputs.size(); begin += static_cast<size_t>(options.batch_size)) {
        const size_t end = std::min(inputs.size(), begin + static_cast<size_t>(options.batch_size));
        ids_.clear();
        offsets_.assign(1, 0);
        for (size_t i = begin; i < end; ++i) {
            if (inputs[i].empty()) throw Error(Status::invalid_argument, "input " + std::to_string(i) + " has no tokens");
            ids_.insert(ids_.end(), inputs[i].begin(), inputs[i].end());
            offsets_.push_back(static_cast<int64_t>(ids_.size()));
        }
        run_batch(logit_scale, normalize, out + begin * dim);
        stats.texts += end - begin;
        stats.tokens += ids_.size();
    }
    return stats;
}

}  // namespace edgembed
