// edgembed.hpp: a header-only C++17 wrapper over the C API (edgembed.h): RAII handles with move
// semantics, std::vector results, errors as edgembed::Exception. The same thread-safety rules apply:
// share a Model between threads, use one Context per thread.
//
//     edgembed::Model model = edgembed::Model::load("model.edgembed");
//     edgembed::Context context(model);
//     std::vector<float> vectors = context.embed({"edgembed runs on phones.", "So does this."});
//     // vectors.size() == 2 * model.dimension()
//
// The classes live in an inline namespace, so that they never clash at link time with the library's
// own C++ classes of the same names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgembed.h"

namespace edgembed {
inline namespace capi {

class Exception : public std::runtime_error {
public:
    Exception(edgembed_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    edgembed_status status() const noexcept { return status_; }
    const char* status_string() const noexcept { return edgembed_status_string(status_); }

private:
    edgembed_status status_;
};

namespace detail {
// The error text is read after the call (not passed in: argument evaluation order is unspecified).
inline void throw_if_failed(edgembed_status status, const char* message) {
    if (status != EDGEMBED_OK) throw Exception(status, message && *message ? message : edgembed_status_string(status));
}
inline void check(edgembed_status status) {
    if (status != EDGEMBED_OK) throw_if_failed(status, edgembed_last_error());
}
inline void check(edgembed_status status, const edgembed_context* ctx) {
    if (status != EDGEMBED_OK) throw_if_failed(status, edgembed_context_last_error(ctx));
}
}  // namespace detail

inline std::string version() { return edgembed_version(); }

// Process-wide; see edgembed_set_isa_cap().
inline void set_isa_cap(const std::string& isa) {
    detail::check(edgembed_set_isa_cap(isa.c_str()));
}

inline std::string active_isa() {
    const char* name = nullptr;
    detail::check(edgembed_active_isa(&name));
    return name;
}

struct EmbedParams {
    float temperature = 0.0f;  // 0 = the model's default_temperature
    int max_length = 0;        // 0 = the model's
    int threads = 0;           // 0 = leave as is
    int batch_size = 32;
    int normalize = -1;        // -1 = as the model says, 0 = off, 1 = on
    std::optional<std::string> prompt_name;  // none: the model's default prompt, if any
    std::optional<std::string> prompt;       // a literal prefix; overrides prompt_name

    // The pointers in the result point into this object: keep it alive while the result is used.
    edgembed_embed_params to_c() const {
        edgembed_embed_params p = edgembed_embed_default_params();
        p.temperature = temperature;
        p.max_length = max_length;
        p.threads = threads;
        p.batch_size = batch_size;
        p.normalize = normalize;
        p.prompt_name = prompt_name ? prompt_name->c_str() : nullptr;
        p.prompt = prompt ? prompt->c_str() : nullptr;
        return p;
    }
};

struct ModelInfo {
    int dimension = 0;
    int max_length = 0;
    int max_position_embeddings = 0;
    edgembed_pooling pooling = EDGEMBED_POOLING_MEAN;
    bool normalize = false;
    float default_temperature = 1.0f;
    std::string architecture;
    std::string weight_dtype;
    int vocab_size = 0;
    int num_layers = 0;
    uint32_t file_format_version = 0;
    std::string default_prompt_name;  // "" when none
};

struct Prompt {
    std::string name;  // e.g. "query"
    std::string text;  // e.g. "query: "
};

class Model {
public:
    static Model load(const std::string& path) {
        edgembed_model* handle = nullptr;
        detail::check(edgembed_model_load(path.c_str(), nullptr, &handle));
        return Model(handle);
    }
    // The buffer is copied; it may be freed once this returns.
    static Model load_from_memory(const void* data, size_t size) {
        edgembed_model* handle = nullptr;
        detail::check(edgembed_model_load_from_memory(data, size, nullptr, &handle));
        return Model(handle);
    }

    Model(Model&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Model& operator=(Model&& other) noexcept {
        if (this != &other) {
            edgembed_model_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    ~Model() { edgembed_model_free(handle_); }

    ModelInfo info() const {
        edgembed_model_info c = edgembed_model_default_info();
        detail::check(edgembed_model_get_info(handle(), &c));
        ModelInfo info;
        info.dimension = c.dimension;
        info.max_length = c.max_length;
        info.max_position_embeddings = c.max_position_embeddings;
        info.pooling = c.pooling;
        info.normalize = c.normalize != 0;
        info.default_temperature = c.default_temperature;
        info.architecture = c.architecture;
        info.weight_dtype = c.weight_dtype;
        info.vocab_size = c.vocab_size;
        info.num_layers = c.num_layers;
        info.file_format_version = c.file_format_version;
        info.default_prompt_name = c.default_prompt_name;
        return info;
    }
    // The model's prompts, ordered by name.
    std::vector<Prompt> prompts() const {
        size_t count = 0;
        detail::check(edgembed_model_prompt_count(handle(), &count));
        std::vector<Prompt> out(count);
        for (size_t i = 0; i < count; ++i) {
            const char* name = nullptr;
            const char* text = nullptr;
            detail::check(edgembed_model_prompt_at(handle_, i, &name, &text));
            out[i] = {name, text};
        }
        return out;
    }
    int dimension() const { return info().dimension; }

    // The C handle (still owned by this object); throws on a moved-from Model.
    const edgembed_model* handle() const {
        if (handle_ == nullptr) throw Exception(EDGEMBED_INVALID_ARGUMENT, "edgembed::Model: moved-from object used");
        return handle_;
    }

private:
    explicit Model(edgembed_model* handle) : handle_(handle) {}
    edgembed_model* handle_ = nullptr;
};

class Context {
public:
    // Holds a reference to the model's weights: the Model object may be destroyed first.
    explicit Context(const Model& model) {
        detail::check(edgembed_context_create(model.handle(), &handle_));
        edgembed_model_info info = edgembed_model_default_info();
        detail::check(edgembed_model_get_info(model.handle(), &info));
        dimension_ = static_cast<size_t>(info.dimension);
    }
    Context(Context&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), dimension_(std::exchange(other.dimension_, 0)) {}
    Context& operator=(Context&& other) noexcept {
        if (this != &other) {
            edgembed_context_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            dimension_ = std::exchange(other.dimension_, 0);
        }
        return *this;
    }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context() { edgembed_context_free(handle_); }

    size_t dimension() const { return dimension_; }

    // Embeds texts into out (capacity floats), row after row.
    void embed(const std::vector<std::string_view>& texts, float* out, size_t capacity,
               const EmbedParams& params = EmbedParams()) {
        std::vector<const char*> pointers(texts.size());
        std::vector<size_t> lengths(texts.size());
        for (size_t i = 0; i < texts.size(); ++i) {
            pointers[i] = texts[i].data() ? texts[i].data() : "";
            lengths[i] = texts[i].size();
        }
        const edgembed_embed_params p = params.to_c();
        detail::check(
            edgembed_embed(handle(), pointers.data(), lengths.data(), texts.size(), &p, out, capacity, nullptr),
            handle_);
    }
    // texts.size() x dimension() floats, row after row.
    std::vector<float> embed(const std::vector<std::string_view>& texts, const EmbedParams& params = EmbedParams()) {
        std::vector<float> out(texts.size() * dimension_);
        embed(texts, out.data(), out.size(), params);
        return out;
    }
    std::vector<float> embed(const std::vector<std::string>& texts, const EmbedParams& params = EmbedParams()) {
        return embed(std::vector<std::string_view>(texts.begin(), texts.end()), params);
    }
    std::vector<float> embed(std::initializer_list<std::string_view> texts, const EmbedParams& params = EmbedParams()) {
        return embed(std::vector<std::string_view>(texts), params);
    }
    // One text: dimension() floats.
    std::vector<float> embed(std::string_view text, const EmbedParams& params = EmbedParams()) {
        return embed(std::vector<std::string_view>{text}, params);
    }

    // Inputs given as token ids (pieces without special tokens; see edgembed_embed_tokens()):
    // inputs.size() x dimension() floats.
    std::vector<float> embed_tokens(const std::vector<std::vector<int32_t>>& inputs,
                                    const EmbedParams& params = EmbedParams()) {
        std::vector<const int32_t*> pointers(inputs.size());
        std::vector<size_t> lengths(inputs.size());
        for (size_t i = 0; i < inputs.size(); ++i) {
            pointers[i] = inputs[i].data();
            lengths[i] = inputs[i].size();
        }
        std::vector<float> out(inputs.size() * dimension_);
        const edgembed_embed_params p = params.to_c();
        detail::check(edgembed_embed_tokens(handle(), pointers.data(), lengths.data(), inputs.size(), &p, out.data(),
                                            out.size(), nullptr),
                      handle_);
        return out;
    }

    // Model input ids ([CLS] pieces [SEP]), cut at max_length (0 = the model's).
    std::vector<int32_t> tokenize(std::string_view text, int max_length = 0) {
        const char* data = text.data() ? text.data() : "";
        size_t count = 0;
        detail::check(edgembed_tokenize(handle(), data, text.size(), max_length, nullptr, 0, &count), handle_);
        std::vector<int32_t> ids(count);
        detail::check(edgembed_tokenize(handle_, data, text.size(), max_length, ids.data(), ids.size(), &count), handle_);
        ids.resize(count);
        return ids;
    }

    edgembed_context* handle() {
        if (handle_ == nullptr) throw Exception(EDGEMBED_INVALID_ARGUMENT, "edgembed::Context: moved-from object used");
        return handle_;
    }

private:
    edgembed_context* handle_ = nullptr;
    size_t dimension_ = 0;
};

}  // namespace capi
}  // namespace edgembed
