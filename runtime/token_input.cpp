#include "runtime/token_input.h"

#include <string>

#include "base/error.h"

namespace edgembed {

TokenInputs wrap_token_inputs(const Model& model, const std::vector<std::vector<int32_t>>& pieces,
                              std::string_view prompt, int max_length) {
    const Tokenizer& tokenizer = model.tokenizer();
    const int32_t vocab = model.config().vocab_size;
    std::vector<int32_t> prompt_pieces;
    if (!prompt.empty()) {
        try {
            prompt_pieces = tokenizer.encode_pieces(prompt);
        } catch (const Error& e) {
            throw Error(e.status(), std::string("prompt: ") + e.what());
        }
    }
    const size_t room = static_cast<size_t>(max_length) - tokenizer.template_size();
    TokenInputs out;
    out.sequences.reserve(pieces.size());
    std::vector<int32_t> joined;
    for (size_t i = 0; i < pieces.size(); ++i) {
        for (size_t j = 0; j < pieces[i].size(); ++j)
            if (pieces[i][j] < 0 || pieces[i][j] >= vocab)
                throw Error(Status::invalid_argument, "input " + std::to_string(i) + ": token id " +
                                                          std::to_string(pieces[i][j]) + " at position " + std::to_string(j) +
                                                          " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
        joined = prompt_pieces;
        joined.insert(joined.end(), pieces[i].begin(), pieces[i].end());
        if (joined.size() > room) {
            joined.resize(room);
            ++out.truncated;
        }
        out.sequences.push_back(tokenizer.wrap(joined.data(), joined.size()));
    }
    return out;
}

}  // namespace edgembed
