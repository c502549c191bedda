// The middle of the tokenizer pipeline: one stretch of raw text (between added tokens) to piece ids,
// with the model's own normalization and pre-tokenization. One implementation per algorithm:
// wordpiece.h, sentencepiece_model.h, byte_level_bpe.h, sentencepiece_bpe.h. make_pieces_model() picks one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

class PiecesModel {
public:
    virtual ~PiecesModel() = default;
    // Appends the ids of `text` (valid UTF-8: the caller has checked) to out. May stop once out holds at
    // least `limit` ids (the caller cuts the excess), so that truncating a long document is cheap.
    virtual void append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const = 0;
    // The model's normalization alone, and append() on text it already normalized: the pipeline matches
    // added tokens with normalized=true on normalized text in between, as `tokenizers` does. The defaults
    // suit a model that cannot normalize apart (its added tokens are then matched on the raw text).
    virtual std::string normalize(std::string_view text) const { return std::string(text); }
    virtual void append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const {
        append(normalized, limit, out);
    }
    // -1 when the token is not in the vocabulary.
    virtual int32_t token_to_id(std::string_view token) const = 0;
    // Ids the model can produce are in [0, vocab_size()).
    virtual std::size_t vocab_size() const = 0;
};

// Throws Error(invalid_config) naming the problem (unknown type, broken model, missing merges, ...).
std::unique_ptr<PiecesModel> make_pieces_model(const TokenizerConfig& config);

}  // namespace edgembed
