#include "tools/serve/model_inputs.h"

#include "base/error.h"
#include "runtime/prompts.h"
#include "runtime/token_input.h"
#include "tools/serve/api_error.h"

namespace edgembed::serve {

std::string request_prompt(const ModelConfig& config, const EmbeddingRequest& request) {
    std::optional<std::string_view> name;
    if (request.prompt_name) name = *request.prompt_name;
    else if (request.input_type && config.prompts.count(*request.input_type)) name = *request.input_type;
    try {
        return resolve_prompt(config, name, std::nullopt);
    } catch (const Error& e) {
        throw ApiError(400, e.what(), "prompt_name");
    }
}

ModelInputs model_inputs(const Model& model, const EmbeddingRequest& request, const std::string& prompt) {
    const int max_length = model.config().max_seq_length;
    TokenInputs wrapped;
    try {
        if (request.texts.empty()) {
            wrapped = wrap_token_inputs(model, request.token_ids, prompt, max_length);
        } else {
            std::vector<std::vector<int32_t>> pieces(request.texts.size());
            for (size_t i = 0; i < pieces.size(); ++i)
                pieces[i] = model.tokenizer().encode_pieces(prompt.empty() ? request.texts[i] : prompt + request.texts[i]);
            wrapped = wrap_token_inputs(model, pieces, "", max_length);
        }
    } catch (const Error& e) {
        throw ApiError(400, e.what(), "input");
    }
    ModelInputs out;
    for (const auto& s : wrapped.sequences) out.tokens += s.size();
    out.sequences = std::move(wrapped.sequences);
    return out;
}

}  // namespace edgembed::serve
