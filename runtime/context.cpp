#include "runtime/context.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/thread_pool.h"
#include "runtime/pooling.h"
#include "simd/kernels.h"


namespace edgembed {
namespace {

// The loader checks the structure of the weights, not their values: NaN or Inf weights (or an overflow
// inside the model) give non-finite vectors, which are refused rather than returned as garbage.
void require_finite(const float* vectors, size_t texts, size_t dim) {
    for (size_t i = 0; i < texts * dim; ++i)
        if (!std::isfinite(vectors[i]))
            throw Error(Status::invalid_weights, "text " + std::to_string(i / dim) +
                                                     ": the embedding has NaN or Inf values (the model's weights hold "
                                                     "NaN or Inf, or overflow)");
}

}  // namespace

Context::Context(std::shared_ptr<const Model> model) : model_(std::move(model)) {
    workspace_.threads = default_thread_count();
}

int Context::effective_max_length(int requested) const {
    const ModelConfig& c = model_->config();
    if (requested == 0) return c.max_seq_length;
    const int lowest = std::max<int>(2, static_cast<int>(model_->tokenizer().template_size()));
    const int highest = model_->encoder().max_tokens();
    if (requested < lowest || requested > highest)
        throw Error(Status::invalid_argument, "max length " + std::to_string(requested) + " is outside [" +
                                                  std::to_string(lowest) + ", " + std::to_string(highest) +
                                                  "] (the model's positions)");
    return requested;
}

float Context::effective_temperature(float requested) const {
    if (std::isnan(requested)) return model_->config().default_temperature;
    if (!(requested > 0.0f) || !std::isfinite(requested))
        throw Error(Status::invalid_argument, "temperature must be a finite number > 0");
    return requested;
}

EmbedOptions Context::with_temperature_setting(const EmbedOptions& requested) const {
    if (!requested.auto_temperature) return requested;
    const ModelConfig& c = model_->config();
    if (!c.auto_temperature)
        throw Error(Status::invalid_argument,
                    "auto temperature: this model stores none (convert it with edgembed-convert --auto-temperature, "
                    "see docs/TEMPSCALE.md)");
    if (!std::isnan(requested.temperature) || requested.length_scale_reference != 0 ||
        !requested.layer_temperatures.empty())
        throw Error(Status::invalid_argument,
                    "auto temperature sets tau, the length scale and the layer factors itself: do not also give them");
    EmbedOptions o = requested;
    const TemperatureSetting& s = *c.auto_temperature;
    o.temperature = s.tau;
    o.length_scale_reference = s.length_scale_reference;
    o.length_scale_exponent = s.length_scale_exponent;
    o.layer_temperatures = s.layer_factors;
    return o;
}

std::vector<int32_t> Context::tokenize(std::string_view text, int max_length) const {
    return model_->tokenizer().encode(text, effective_max_length(max_length));
}

void Context::validate(const EmbedOptions& o) const {
    if (o.batch_size < 1) throw Error(Status::invalid_argument, "batch size must be >= 1");
    if (o.threads < 0) throw Error(Status::invalid_argument, "thread count must be >= 0");
    if (o.window_stride < 0) throw Error(Status::invalid_argument, "window stride must be >= 0");
    if (o.length_scale_reference < 0 || o.length_scale_reference == 1)
        throw Error(Status::invalid_argument, "length-scale reference length must be 0 (off) or >= 2");
    if (!std::isfinite(o.length_scale_exponent))
        throw Error(Status::invalid_argument, "length-scale exponent must be finite");
    if (!o.layer_temperatures.empty()) {
        if (static_cast<int>(o.layer_temperatures.size()) != model_->config().num_layers)
            throw Error(Status::invalid_argument, "layer temperatures: expected one per layer (" +
                                                      std::to_string(model_->config().num_layers) + "), got " +
                                                      std::to_string(o.layer_temperatures.size()));
        for (float t : o.layer_temperatures)
            if (!(t > 0.0f) || !std::isfinite(t)) throw Error(Status::invalid_argument, "layer temperatures must be > 0");
    }
}

bool Context::admits(const EmbedOptions& o, size_t text, size_t count) const {
    const models::Encoder& encoder = model_->encoder();
    auto within = [&](size_t tokens, size_t longest) {
        return (o.max_batch_tokens == 0 || tokens <= o.max_batch_tokens) &&
               (o.max_workspace_bytes == 0 ||
                encoder.workspace_bytes(tokens, longest, workspace_.threads) <= o.max_workspace_bytes);
    };
    if (!within(count, count)) {
        const std::string what = "text " + std::to_string(text) + ": a sequence of " + std::to_string(count) + " tokens ";
        if (o.max_batch_tokens != 0 && count > o.max_batch_tokens)
            throw Error(Status::limit_exceeded, what + "is over the limit of " + std::to_string(o.max_batch_tokens) +
                                                    " tokens per batch (max_batch_tokens; a lower max length, or "
                                                    "windows, keep sequences shorter)");
        const size_t needed = encoder.workspace_bytes(count, count, workspace_.threads);
        throw Error(Status::limit_exceeded, what + "needs " + std::to_string(needed) +
                                                " bytes of workspace, over the limit of " +
                                                std::to_string(o.max_workspace_bytes) + " (max_workspace_bytes)");
    }
    return within(ids_.size() + count, std::max(queued_longest_, count));
}

void Context::queue(size_t text, const int32_t* ids, size_t count, float weight) {
    queued_longest_ = std::max(queued_longest_, count);
    ids_.insert(ids_.end(), ids, ids + count);
    offsets_.push_back(static_cast<int64_t>(ids_.size()));
    queued_.push_back({text, weight});
}

void Context::forward_queued(const EmbedOptions& o, float tau, float* dc) {
    const ModelConfig& c = model_->config();
    const int count = static_cast<int>(queued_.size());
    // TempScale folded into the softmax's one scale factor: softmax(QK^T / (tau * sqrt(d)) + M), times the
    // length-aware factor of each sequence (d: head_dim, or the family's scalar, Gemma3's query_pre_attn_scalar).
    const float base = 1.0f / (tau * std::sqrt(static_cast<float>(model_->encoder().spec().logit_scalar(c))));
    scales_.resize(queued_.size());
    for (int s = 0; s < count; ++s) {
        const double n = static_cast<double>(offsets_[s + 1] - offsets_[s]);
        double factor = 1.0;
        if (o.length_scale_reference > 0 && n > o.length_scale_reference)
            factor = std::pow(std::log(n) / std::log(static_cast<double>(o.length_scale_reference)), o.length_scale_exponent);
        scales_[s] = static_cast<float>(base * factor);
    }
    layer_factors_.clear();
    for (float t : o.layer_temperatures) layer_factors_.push_back(1.0f / t);
    workspace_.observe_linear_input = o.observe_linear_inputs;
    model_->encoder().forward(ids_.data(), offsets_.data(), count, scales_.data(),
                              layer_factors_.empty() ? nullptr : layer_factors_.data(), workspace_, dc);
}

void Context::clear_queue() {
    ids_.clear();
    offsets_.assign(1, 0);
    queued_.clear();
    queued_longest_ = 0;
}

void Context::flush(const EmbedOptions& o, float tau, float* sums, float* weights, float* dc_share) {
    if (queued_.empty()) return;
    const ModelConfig& c = model_->config();
    const size_t dim = static_cast<size_t>(c.hidden_size);
    const int count = static_cast<int>(queued_.size());
    const int stats_rows = c.num_layers + 1;
    if (dc_share) dc_.assign(static_cast<size_t>(stats_rows) * queued_.size(), 0.0f);
    forward_queued(o, tau, dc_share ? dc_.data() : nullptr);
    pooled_.resize(dim);
    const simd::Kernels& k = simd::kernels();
    for (int s = 0; s < count; ++s) {
        const Sequence& seq = queued_[s];
        const size_t first = static_cast<size_t>(offsets_[s]);
        pool(c.pooling, workspace_.hidden.data() + first * dim, static_cast<size_t>(offsets_[s + 1]) - first, dim,
             pooled_.data());
        float* sum = sums + seq.text * dim;
        if (weights[seq.text] == 0.0f) {
            k.f32_scale(pooled_.data(), seq.weight, sum, dim);
        } else if (c.pooling == Pooling::max) {
            k.f32_max(pooled_.data(), sum, dim);
        } else {
            for (size_t j = 0; j < dim; ++j) sum[j] += seq.weight * pooled_[j];
        }
        weights[seq.text] += seq.weight;
        if (dc_share)
            for (int l = 0; l < stats_rows; ++l)
                dc_share[seq.text * stats_rows + l] += dc_[static_cast<size_t>(l) * count + s];
    }
    clear_queue();
}

float* Context::pooled_sums(size_t texts, float* out) {
    if (model_->dense().empty()) return out;
    pooled_sums_.assign(texts * static_cast<size_t>(model_->config().hidden_size), 0.0f);
    return pooled_sums_.data();
}

void Context::project(const float* pooled, size_t texts, float* out) {
    if (model_->dense().empty() || texts == 0) return;  // pooled is out
    workspace_.linear.threads = workspace_.threads;
    model_->dense().apply(pooled, texts, out, workspace_.linear);
}

void Context::check_prompt(const std::string& prompt) const {
    if (prompt.empty()) return;
    try {
        model_->tokenizer().encode_pieces(prompt);
    } catch (const Error& e) {
        throw Error(e.status(), std::string("prompt: ") + e.what());
    }
}

std::vector<int32_t> Context::prompted_pieces(std::string_view text, size_t index, const std::string& prompt,
                                              std::string& prompted) const {
    try {
        if (prompt.empty()) return model_->tokenizer().encode_pieces(text);
        prompted.replace(prompt.size(), std::string::npos, text);
        return model_->tokenizer().encode_pieces(prompted);
    } catch (const Error& e) {
        throw Error(e.status(), "text " + std::to_string(index) + ": " + e.what() +
                                    (prompt.empty() ? "" : " (counting the " + std::to_string(prompt.size()) + "-byte prompt)"));
    }
}

EmbedStats Context::embed(const std::vector<std::string_view>& texts, const EmbedOptions& requested, float* out) {
    const EmbedOptions o = with_temperature_setting(requested);
    const ModelConfig& c = model_->config();
    const int max_length = effective_max_length(o.max_length);
    const float tau = effective_temperature(o.temperature);
    validate(o);
    if (o.threads > 0) workspace_.threads = static_cast<size_t>(o.threads);
    const Tokenizer& tokenizer = model_->tokenizer();
    const size_t specials = tokenizer.template_size();
    if (o.long_input == LongInput::window && static_cast<size_t>(max_length) < specials + 1)
        throw Error(Status::invalid_argument, "windows need a max length of at least " + std::to_string(specials + 1) + " tokens");
    const size_t hidden = static_cast<size_t>(c.hidden_size), dim = static_cast<size_t>(model_->dimension());
    const size_t window = static_cast<size_t>(max_length) - specials;
    float* sums = pooled_sums(texts.size(), out);
    const size_t stride = o.window_stride > 0 ? std::min<size_t>(static_cast<size_t>(o.window_stride), window)
                                              : std::max<size_t>(window / 2, 1);
    const int stats_rows = c.num_layers + 1;
    std::vector<float> weights(texts.size(), 0.0f), windows_per_text(texts.size(), 0.0f);
    if (o.layer_dc_share) o.layer_dc_share->assign(texts.size() * static_cast<size_t>(stats_rows), 0.0f);
    float* dc_share = o.layer_dc_share ? o.layer_dc_share->data() : nullptr;
    clear_queue();

    EmbedStats stats;
    std::vector<int32_t> sequence;
    check_prompt(o.prompt);
    std::string prompted = o.prompt;
    for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<int32_t> pieces = prompted_pieces(texts[i], i, o.prompt, prompted);
        // Windows start every `stride` pieces; the last one ends at the last piece.
        std::vector<size_t> starts{0};
        if (pieces.size() > window) {
            if (o.long_input == LongInput::truncate) {
                pieces.resize(window);
                ++stats.truncated;
            } else {
                for (size_t s = stride; s + window < pieces.size() + stride; s += stride)
                    starts.push_back(std::min(s, pieces.size() - window));
                starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
                ++stats.windowed;
            }
        }
        for (size_t s : starts) {
            const size_t count = std::min(window, pieces.size() - s);
            sequence = tokenizer.wrap(pieces.data() + s, count);
            // Mean pooling weighs a window by its tokens; CLS and max pooling weigh windows alike. A text of
            // one window keeps weight 1, so its vector is the pooled vector itself.
            const float weight = c.pooling == Pooling::mean && starts.size() > 1 ? static_cast<float>(sequence.size()) : 1.0f;
            if (!admits(o, i, sequence.size())) flush(o, tau, sums, weights.data(), dc_share);
            queue(i, sequence.data(), sequence.size(), weight);
            stats.tokens += sequence.size();
            windows_per_text[i] += 1.0f;
            if (queued_.size() >= static_cast<size_t>(o.batch_size)) {
                flush(o, tau, sums, weights.data(), dc_share);
                if (o.progress) o.progress(s + window >= pieces.size() ? i + 1 : i, texts.size());
            }
        }
        stats.windows += starts.size();
    }
    flush(o, tau, sums, weights.data(), dc_share);
    if (o.progress) o.progress(texts.size(), texts.size());

    const bool normalize = o.normalize < 0 ? c.normalize : o.normalize != 0;
    const simd::Kernels& k = simd::kernels();
    for (size_t i = 0; i < texts.size(); ++i) {
        float* v = sums + i * hidden;
        if (c.pooling != Pooling::max && weights[i] != 1.0f) k.f32_scale(v, 1.0f / weights[i], v, hidden);
        if (dc_share)
            for (int l = 0; l < stats_rows; ++l) dc_share[i * stats_rows + l] /= windows_per_text[i];
    }
    project(sums, texts.size(), out);
    if (normalize)
        for (size_t i = 0; i < texts.size(); ++i) l2_normalize(out + i * dim, dim);
    require_finite(out, texts.size(), dim);
    stats.texts = texts.size();
    return stats;
}

EmbedStats Context::embed_ids(const std::vector<std::vector<int32_t>>& inputs, const EmbedOptions& requested,
                              float* out) {
    const EmbedOptions o = with_temperature_setting(requested);
    const ModelConfig& c = model_->config();
    const float tau = effective_temperature(o.temperature);
    validate(o);
    if (o.threads > 0) workspace_.threads = static_cast<size_t>(o.threads);
    const size_t dim = static_cast<size_t>(model_->dimension());
    std::vector<float> weights(inputs.size(), 0.0f);
    float* sums = pooled_sums(inputs.size(), out);
    clear_queue();
    EmbedStats stats;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].empty()) throw Error(Status::invalid_argument, "input " + std::to_string(i) + " has no tokens");
        if (!admits(o, i, inputs[i].size())) flush(o, tau, sums, weights.data(), nullptr);
        queue(i, inputs[i].data(), inputs[i].size(), 1.0f);
        stats.tokens += inputs[i].size();
        if (queued_.size() >= static_cast<size_t>(o.batch_size)) flush(o, tau, sums, weights.data(), nullptr);
    }
    flush(o, tau, sums, weights.data(), nullptr);
    project(sums, inputs.size(), out);
    const bool normalize = o.normalize < 0 ? c.normalize : o.normalize != 0;
    if (normalize)
        for (size_t i = 0; i < inputs.size(); ++i) l2_normalize(out + i * dim, dim);
    require_finite(out, inputs.size(), dim);
    stats.texts = inputs.size();
    return stats;
}

EmbedStats Context::token_embeddings(const std::vector<std::string_view>& texts, const EmbedOptions& requested,
                                 std::vector<float>& states, std::vector<size_t>& offsets) {
    const EmbedOptions o = with_temperature_setting(requested);
    const int max_length = effective_max_length(o.max_length);
    const float tau = effective_temperature(o.temperature);
    validate(o);
    if (o.long_input == LongInput::window)
        throw Error(Status::invalid_argument, "token embeddings: windows have no single token sequence (use truncate)");
    const size_t dim = static_cast<size_t>(model_->config().hidden_size);  // token states: before any Dense module
    const Tokenizer& tokenizer = model_->tokenizer();
    const size_t window = static_cast<size_t>(max_length) - tokenizer.template_size();
    clear_queue();
    EmbedStats stats;
    std::vector<std::vector<int32_t>> sequences(texts.size());
    offsets.assign(1, 0);
    check_prompt(o.prompt);
    std::string prompted = o.prompt;
    for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<int32_t> pieces = prompted_pieces(texts[i], i, o.prompt, prompted);
        if (pieces.size() > window) {
            pieces.resize(window);
            ++stats.truncated;
        }
        sequences[i] = tokenizer.wrap(pieces.data(), pieces.size());
        stats.tokens += sequences[i].size();
        offsets.push_back(offsets.back() + sequences[i].size());
    }
    states.resize(offsets.back() * dim);
    // Runs the queue and copies each sequence's rows to its text's place.
    auto run = [&](size_t first_text) {
        if (queued_.empty()) return;
        forward_queued(o, tau, nullptr);
        const size_t rows = static_cast<size_t>(offsets_.back());
        std::copy(workspace_.hidden.begin(), workspace_.hidden.begin() + static_cast<std::ptrdiff_t>(rows * dim),
                  states.begin() + static_cast<std::ptrdiff_t>(offsets[first_text] * dim));
        clear_queue();
    };
    size_t first = 0;  // the first text of the queue
    for (size_t i = 0; i < texts.size(); ++i) {
        if (!admits(o, i, sequences[i].size())) {
            run(first);
            first = i;
        }
        queue(i, sequences[i].data(), sequences[i].size(), 1.0f);
        if (queued_.size() >= static_cast<size_t>(o.batch_size)) {
            run(first);
            first = i + 1;
            if (o.progress) o.progress(i + 1, texts.size());
        }
    }
    run(first);
    if (o.progress) o.progress(texts.size(), texts.size());
    require_finite(states.data(), offsets.back(), dim);
    stats.texts = texts.size();
    stats.windows = texts.size();
    return stats;
}

}  // namespace edgembed
