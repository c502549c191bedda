// Inputs given as token ids instead of text: the pieces of a text (no special tokens), as a caller that
// tokenized it would pass them (the OpenAI embeddings API's token arrays). They are treated as the
// text's pieces: prompt pieces before them, cut at max_length, the model's template around them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "runtime/model.h"

namespace edgembed {

struct TokenInputs {
    std::vector<std::vector<int32_t>> sequences;  // model inputs, template included
    size_t truncated = 0;                         // inputs cut at max_length
};

// Checks every id against the vocabulary (Error(invalid_argument) naming the input and position),
// puts the prompt's pieces first, cuts at max_length (specials included, already validated) and wraps
// each in the template.
TokenInputs wrap_token_inputs(const Model& model, const std::vector<std::vector<int32_t>>& pieces,
                              std::string_view prompt, int max_length);

}  // namespace edgembed
