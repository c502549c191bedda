// C API: contexts, embedding and tokenizing.
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "runtime/c_api/c_api_internal.h"
#include "runtime/prompts.h"
#include "runtime/token_input.h"

namespace edgembed::c_api {
namespace {

// The first released layouts (0.1.0): the offset of the first field added after it; see model_api.cpp.
constexpr size_t kEmbedParamsV1Size = offsetof(edgembed_embed_params, layer_temperatures);
constexpr size_t kEmbedStatsV1Size = offsetof(edgembed_embed_stats, windowed);

EmbedOptions to_options(const edgembed_embed_params* params, const ModelConfig& config) {
    edgembed_embed_params p = edgembed_embed_default_params();
    if (params) read_versioned(params, kEmbedParamsV1Size, "edgembed_embed_params", &p);
    if (std::isnan(p.temperature) || p.temperature < 0.0f)
        invalid_argument("temperature must be > 0 (or 0 for the model's default)");
    if (p.normalize < -1 || p.normalize > 1) invalid_argument("normalize must be -1, 0 or 1");
    EmbedOptions options;
    options.temperature = p.temperature == 0.0f ? NAN : p.temperature;
    options.max_length = p.max_length;
    options.threads = p.threads;
    options.batch_size = p.batch_size;
    options.normalize = p.normalize;
    if (p.auto_temperature != 0 && p.auto_temperature != 1) invalid_argument("auto_temperature must be 0 or 1");
    options.auto_temperature = p.auto_temperature == 1;
    if (p.long_input != EDGEMBED_LONG_INPUT_TRUNCATE && p.long_input != EDGEMBED_LONG_INPUT_WINDOW)
        invalid_argument("long_input must be EDGEMBED_LONG_INPUT_TRUNCATE or EDGEMBED_LONG_INPUT_WINDOW");
    options.long_input = p.long_input == EDGEMBED_LONG_INPUT_WINDOW ? LongInput::window : LongInput::truncate;
    options.window_stride = p.window_stride;
    options.max_batch_tokens = p.max_batch_tokens;
    options.max_workspace_bytes = p.max_workspace_bytes;
    options.length_scale_reference = p.length_scale_reference;
    options.length_scale_exponent = p.length_scale_exponent;
    if (p.layer_temperatures == nullptr && p.layer_temperature_count != 0)
        invalid_argument("layer_temperatures is NULL but layer_temperature_count is not 0");
    if (p.layer_temperature_count > 4096) invalid_argument("layer_temperature_count is too large");
    if (p.layer_temperatures)
        options.layer_temperatures.assign(p.layer_temperatures, p.layer_temperatures + p.layer_temperature_count);
    options.prompt = resolve_prompt(config, p.prompt_name ? std::optional<std::string_view>(p.prompt_name) : std::nullopt,
                                    p.prompt ? std::optional<std::string_view>(p.prompt) : std::nullopt);
    return options;
}

std::string_view text_view(const char* text, size_t length) {
    return length == EDGEMBED_NUL_TERMINATED ? std::string_view(text) : std::string_view(text, length);
}

// The checks both embed calls make before any work; returns the options.
EmbedOptions start_embed(edgembed_context* ctx, const edgembed_embed_params* params, size_t count, const float* out,
                         size_t out_capacity, edgembed_embed_stats* stats_out) {
    if (ctx == nullptr) invalid_argument("ctx is NULL");
    edgembed_embed_stats stats;
    std::memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    if (stats_out && stats_out->struct_size < kEmbedStatsV1Size)  // checked before any work
        write_versioned(stats, kEmbedStatsV1Size, "edgembed_embed_stats", stats_out);
    EmbedOptions options = to_options(params, ctx->context.model().config());
    const size_t dim = static_cast<size_t>(ctx->context.model().dimension());
    if (count > 0 && out == nullptr) invalid_argument("out is NULL");
    if (count > std::numeric_limits<size_t>::max() / dim) invalid_argument(std::to_string(count) + " texts are too many");
    if (out_capacity < count * dim)
        invalid_argument("the output buffer holds " + std::to_string(out_capacity) + " floats; " + std::to_string(count) +
                         " texts x " + std::to_string(dim) + " dimensions need " + std::to_string(count * dim));
    return options;
}

void finish_embed(edgembed_context* ctx, const EmbedOptions& options, const EmbedStats& s,
                  edgembed_embed_stats* stats_out) {
    if (s.truncated > 0)
        log(EDGEMBED_LOG_DEBUG, std::to_string(s.truncated) + " of " + std::to_string(s.texts) + " texts cut at " +
                                    std::to_string(ctx->context.effective_max_length(options.max_length)) + " tokens");
    if (!stats_out) return;
    edgembed_embed_stats stats;
    std::memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    stats.texts = s.texts;
    stats.tokens = s.tokens;
    stats.truncated = s.truncated;
    stats.windowed = s.windowed;
    stats.windows = s.windows;
    write_versioned(stats, kEmbedStatsV1Size, "edgembed_embed_stats", stats_out);
}

}  // namespace
}  // namespace edgembed::c_api

using namespace edgembed;

extern "C" {

edgembed_status edgembed_context_create(const edgembed_model* model, edgembed_context** ctx_out) {
    if (ctx_out) *ctx_out = nullptr;
    return c_api::guard("edgembed_context_create", nullptr, [&] {
        if (ctx_out == nullptr) c_api::invalid_argument("ctx_out is NULL");
        if (model == nullptr) c_api::invalid_argument("model is NULL");
        *ctx_out = new edgembed_context(model->model);
    });
}

void edgembed_context_free(edgembed_context* ctx) { delete ctx; }

const char* edgembed_context_last_error(const edgembed_context* ctx) {
    return ctx ? ctx->last_error.c_str() : edgembed_last_error();
}

edgembed_embed_params edgembed_embed_default_params(void) {
    edgembed_embed_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    const EmbedOptions defaults;
    p.temperature = 0.0f;  // the model's
    p.max_length = defaults.max_length;
    p.threads = defaults.threads;
    p.batch_size = defaults.batch_size;
    p.normalize = defaults.normalize;
    p.auto_temperature = 0;
    p.long_input = EDGEMBED_LONG_INPUT_TRUNCATE;
    p.window_stride = defaults.window_stride;
    p.length_scale_reference = defaults.length_scale_reference;
    p.length_scale_exponent = defaults.length_scale_exponent;
    p.layer_temperatures = nullptr;
    p.layer_temperature_count = 0;
    p.max_batch_tokens = defaults.max_batch_tokens;
    p.max_workspace_bytes = defaults.max_workspace_bytes;
    return p;
}

edgembed_status edgembed_embed(edgembed_context* ctx, const char* const* texts, const size_t* lengths, size_t count,
                               const edgembed_embed_params* params, float* out, size_t out_capacity,
                               edgembed_embed_stats* stats_out) {
    return c_api::guard("edgembed_embed", ctx, [&] {
        const EmbedOptions options = c_api::start_embed(ctx, params, count, out, out_capacity, stats_out);
        if (count > 0 && texts == nullptr) c_api::invalid_argument("texts is NULL");
        std::vector<std::string_view> views(count);
        for (size_t i = 0; i < count; ++i) {
            if (texts[i] == nullptr) c_api::invalid_argument("texts[" + std::to_string(i) + "] is NULL");
            views[i] = c_api::text_view(texts[i], lengths ? lengths[i] : EDGEMBED_NUL_TERMINATED);
        }
        EmbedStats s;
        if (count == 0) {
            // Validate the options as a real call would (an embed of no texts), then do nothing.
            std::vector<float> none;
            ctx->context.embed({}, options, none.data());
        } else {
            s = ctx->context.embed(views, options, out);
        }
        c_api::finish_embed(ctx, options, s, stats_out);
    });
}

edgembed_status edgembed_embed_tokens(edgembed_context* ctx, const int32_t* const* token_ids, const size_t* lengths,
                                      size_t count, const edgembed_embed_params* params, float* out, size_t out_capacity,
                                      edgembed_embed_stats* stats_out) {
    return c_api::guard("edgembed_embed_tokens", ctx, [&] {
        const EmbedOptions options = c_api::start_embed(ctx, params, count, out, out_capacity, stats_out);
        if (options.long_input != LongInput::truncate)
            c_api::invalid_argument("token-id inputs are cut at max_length: long_input must be EDGEMBED_LONG_INPUT_TRUNCATE");
        if (count > 0 && (token_ids == nullptr || lengths == nullptr)) c_api::invalid_argument("token_ids or lengths is NULL");
        std::vector<std::vector<int32_t>> pieces(count);
        for (size_t i = 0; i < count; ++i) {
            if (token_ids[i] == nullptr && lengths[i] != 0)
                c_api::invalid_argument("token_ids[" + std::to_string(i) + "] is NULL");
            if (lengths[i] > (size_t{1} << 24)) c_api::invalid_argument("lengths[" + std::to_string(i) + "] is too large");
            if (lengths[i] != 0) pieces[i].assign(token_ids[i], token_ids[i] + lengths[i]);
        }
        const Context& context = ctx->context;
        const TokenInputs inputs = wrap_token_inputs(context.model(), pieces, options.prompt,
                                                     context.effective_max_length(options.max_length));
        std::vector<float> none;
        EmbedStats s = ctx->context.embed_ids(inputs.sequences, options, count == 0 ? none.data() : out);
        s.truncated = inputs.truncated;
        s.windows = s.texts;
        c_api::finish_embed(ctx, options, s, stats_out);
    });
}

edgembed_status edgembed_token_embeddings(edgembed_context* ctx, const char* text, size_t length,
                                          const edgembed_embed_params* params, float* out, size_t out_capacity,
                                          size_t* token_count_out) {
    if (token_count_out) *token_count_out = 0;
    return c_api::guard("edgembed_token_embeddings", ctx, [&] {
        if (ctx == nullptr) c_api::invalid_argument("ctx is NULL");
        if (token_count_out == nullptr) c_api::invalid_argument("token_count_out is NULL");
        if (text == nullptr) c_api::invalid_argument("text is NULL");
        if (out == nullptr && out_capacity != 0) c_api::invalid_argument("out is NULL but out_capacity is not 0");
        const EmbedOptions options = c_api::to_options(params, ctx->context.model().config());
        std::vector<float> states;
        std::vector<size_t> offsets;
        ctx->context.token_embeddings({c_api::text_view(text, length)}, options, states, offsets);
        *token_count_out = offsets.back();
        if (out == nullptr) return;  // a count query
        if (out_capacity < states.size())
            c_api::invalid_argument("the output buffer holds " + std::to_string(out_capacity) + " floats; " +
                                    std::to_string(offsets.back()) + " tokens x " +
                                    std::to_string(ctx->context.model().config().hidden_size) + " dimensions need " +
                                    std::to_string(states.size()));
        std::copy(states.begin(), states.end(), out);
    });
}

edgembed_status edgembed_tokenize(edgembed_context* ctx, const char* text, size_t length, int max_length, int32_t* ids,
                                  size_t capacity, size_t* count_out) {
    if (count_out) *count_out = 0;
    return c_api::guard("edgembed_tokenize", ctx, [&] {
        if (ctx == nullptr) c_api::invalid_argument("ctx is NULL");
        if (count_out == nullptr) c_api::invalid_argument("count_out is NULL");
        if (text == nullptr) c_api::invalid_argument("text is NULL");
        if (ids == nullptr && capacity != 0) c_api::invalid_argument("ids is NULL but capacity is not 0");
        const std::vector<int32_t> result = ctx->context.tokenize(c_api::text_view(text, length), max_length);
        *count_out = result.size();
        if (ids == nullptr) return;  // a count query
        if (capacity < result.size())
            c_api::invalid_argument("the id buffer holds " + std::to_string(capacity) + " ids; the text needs " +
                                    std::to_string(result.size()));
        std::copy(result.begin(), result.end(), ids);
    });
}

}  // extern "C"
