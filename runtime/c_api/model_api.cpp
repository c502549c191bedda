// C API: loading, freeing and describing models.
#include <chrono>

#include "runtime/c_api/c_api_internal.h"

namespace edgembed::c_api {
namespace {

// The first released layouts (0.1.0): a caller's struct_size may not be smaller. A field added later
// goes past them (not into the old tail padding, which old callers may leave nonzero): V1 = its offset.
constexpr size_t kModelParamsV1Size = sizeof(edgembed_model_params);
constexpr size_t kModelInfoV1Size = offsetof(edgembed_model_info, auto_temperature);

edgembed_model_params read_params(const edgembed_model_params* params) {
    edgembed_model_params p = edgembed_model_default_params();
    if (params) read_versioned(params, kModelParamsV1Size, "edgembed_model_params", &p);
    if (p.flags != 0) invalid_argument("edgembed_model_params.flags must be 0 (no load flags are defined yet)");
    return p;
}

template <class Load>
edgembed_model* load(const std::string& what, Load&& load_model) {
    const auto t0 = std::chrono::steady_clock::now();
    auto model = std::make_unique<edgembed_model>();
    model->model = load_model();
    if (model->model->config().auto_temperature)
        model->auto_temperature = to_string(*model->model->config().auto_temperature);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const ModelConfig& c = model->model->config();
    log(EDGEMBED_LOG_INFO, "loaded " + what + ": " + c.architecture + " " + c.weight_dtype + ", " +
                               std::to_string(c.num_layers) + " layers, dimension " + std::to_string(c.hidden_size) +
                               ", in " + std::to_string(ms) + " ms");
    return model.release();
}

}  // namespace
}  // namespace edgembed::c_api

using namespace edgembed;

extern "C" {

edgembed_model_params edgembed_model_default_params(void) {
    edgembed_model_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.flags = 0;
    return p;
}

edgembed_status edgembed_model_load(const char* path, const edgembed_model_params* params, edgembed_model** model_out) {
    if (model_out) *model_out = nullptr;
    return c_api::guard("edgembed_model_load", nullptr, [&] {
        if (model_out == nullptr) c_api::invalid_argument("model_out is NULL");
        if (path == nullptr) c_api::invalid_argument("path is NULL");
        c_api::read_params(params);
        *model_out = c_api::load(std::string("'") + path + "'", [&] { return Model::load(path); });
    });
}

edgembed_status edgembed_model_load_from_memory(const void* data, size_t size, const edgembed_model_params* params,
                                                edgembed_model** model_out) {
    if (model_out) *model_out = nullptr;
    return c_api::guard("edgembed_model_load_from_memory", nullptr, [&] {
        if (model_out == nullptr) c_api::invalid_argument("model_out is NULL");
        if (data == nullptr) c_api::invalid_argument("data is NULL");
        c_api::read_params(params);
        *model_out = c_api::load("a " + std::to_string(size) + "-byte buffer",
                                 [&] { return Model::load_from_memory(data, size); });
    });
}

void edgembed_model_free(edgembed_model* model) { delete model; }

edgembed_status edgembed_model_prompt_count(const edgembed_model* model, size_t* count_out) {
    if (count_out) *count_out = 0;
    return c_api::guard("edgembed_model_prompt_count", nullptr, [&] {
        if (model == nullptr) c_api::invalid_argument("model is NULL");
        if (count_out == nullptr) c_api::invalid_argument("count_out is NULL");
        *count_out = model->model->config().prompts.size();
    });
}

edgembed_status edgembed_model_prompt_at(const edgembed_model* model, size_t index, const char** name_out,
                                         const char** text_out) {
    if (name_out) *name_out = nullptr;
    if (text_out) *text_out = nullptr;
    return c_api::guard("edgembed_model_prompt_at", nullptr, [&] {
        if (model == nullptr) c_api::invalid_argument("model is NULL");
        if (name_out == nullptr || text_out == nullptr) c_api::invalid_argument("name_out or text_out is NULL");
        const auto& prompts = model->model->config().prompts;
        if (index >= prompts.size())
            c_api::invalid_argument("prompt index " + std::to_string(index) + " is not below the model's " +
                                    std::to_string(prompts.size()) + " prompts");
        const auto& entry = *std::next(prompts.begin(), static_cast<std::ptrdiff_t>(index));
        *name_out = entry.first.c_str();
        *text_out = entry.second.c_str();
    });
}

edgembed_model_info edgembed_model_default_info(void) {
    edgembed_model_info info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    return info;
}

edgembed_status edgembed_model_get_info(const edgembed_model* model, edgembed_model_info* info) {
    return c_api::guard("edgembed_model_get_info", nullptr, [&] {
        if (model == nullptr) c_api::invalid_argument("model is NULL");
        if (info == nullptr) c_api::invalid_argument("info is NULL");
        const ModelConfig& c = model->model->config();
        edgembed_model_info value = edgembed_model_default_info();
        value.dimension = c.output_dimension();
        value.max_length = c.max_seq_length;
        value.max_position_embeddings = c.max_position_embeddings;
        value.pooling = static_cast<edgembed_pooling>(c.pooling);
        value.normalize = c.normalize ? 1 : 0;
        value.default_temperature = c.default_temperature;
        value.architecture = c.architecture.c_str();
        value.weight_dtype = c.weight_dtype.c_str();
        value.vocab_size = c.vocab_size;
        value.num_layers = c.num_layers;
        value.file_format_version = model->model->file().format_version();
        value.auto_temperature = model->auto_temperature.c_str();
        value.default_prompt_name = c.default_prompt_name.c_str();
        c_api::write_versioned(value, c_api::kModelInfoV1Size, "edgembed_model_info", info);
    });
}

}  // extern "C"

static_assert(EDGEMBED_POOLING_MEAN == static_cast<int>(edgembed::Pooling::mean) &&
                  EDGEMBED_POOLING_CLS == static_cast<int>(edgembed::Pooling::cls) &&
                  EDGEMBED_POOLING_MAX == static_cast<int>(edgembed::Pooling::max) &&
                  EDGEMBED_POOLING_LAST_TOKEN == static_cast<int>(edgembed::Pooling::last_token),
              "edgembed_pooling differs from edgembed::Pooling");
