// A request's inputs as model inputs (template included), made on the HTTP thread so that the
// scheduler only runs forward passes: texts as prompt + text tokenized (as SentenceTransformer.encode
// does), token arrays as the text's pieces with the prompt's pieces first (runtime/token_input.h).
#pragma once

#include <string>
#include <vector>

#include "runtime/model.h"
#include "tools/serve/embedding_request.h"

namespace edgembed::serve {

struct ModelInputs {
    std::vector<std::vector<int32_t>> sequences;
    size_t tokens = 0;  // specials included: the response's usage
};

// The prompt the request asks for: prompt_name (unknown: ApiError 400 listing the model's), else
// input_type when the model has a prompt of that name, else the model's default prompt.
std::string request_prompt(const ModelConfig& config, const EmbeddingRequest& request);

// Cut at the model's max_seq_length. Throws ApiError(400) for token ids outside the vocabulary.
ModelInputs model_inputs(const Model& model, const EmbeddingRequest& request, const std::string& prompt);

}  // namespace edgembed::serve
