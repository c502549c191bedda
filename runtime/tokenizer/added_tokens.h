// The first step of the tokenizer pipeline: added tokens ("[CLS]", "<mask>", ...) matched verbatim in the
// raw text, as Hugging Face `tokenizers` matches added tokens with normalized=false: leftmost first, the
// longest at one position; lstrip / rstrip take the whitespace before / after the match with it;
// single_word matches only where no word character touches the token.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

class AddedTokenSplitter {
public:
    // Throws Error(invalid_config) on an empty token.
    explicit AddedTokenSplitter(std::vector<AddedToken> tokens);

    // Calls on_text for each stretch of text between matches (possibly empty stretches are skipped) and
    // on_token for each match, in order; stops early when either returns false.
    void split(std::string_view text, const std::function<bool(std::string_view)>& on_text,
               const std::function<bool(int32_t)>& on_token) const;
    bool empty() const { return tokens_.empty(); }

private:
    // The match at pos, or null.
    const AddedToken* match_at(std::string_view text, size_t pos) const;

    std::vector<AddedToken> tokens_;  // longest first
    std::array<bool, 256> first_byte_{};
};

}  // namespace edgembed
