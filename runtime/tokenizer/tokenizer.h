// The tokenizer pipeline every model uses, as Hugging Face `tokenizers` runs it for one text:
//   1. added tokens matched verbatim in the raw text (added_tokens.h);
//   2. each stretch between them through the pieces model (pieces_model.h: WordPiece, SentencePiece or
//      byte-level BPE, with its own normalization and pre-tokenization); added tokens with
//      normalized=true are matched in the normalized stretch first;
//   3. the post-processor template: prefix + pieces + suffix ([CLS] x [SEP], <s> x </s>, x </s>).
// Truncation (encode's max_length) and long-input windows (Context) cut the pieces and keep the template.
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/added_tokens.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

class Tokenizer {
public:
    // Throws Error(invalid_config) naming the problem.
    explicit Tokenizer(const TokenizerConfig& config);

    // Model input ids: the template around the pieces, truncated to max_length ids in all when
    // max_length > 0 (the pieces are cut, as Hugging Face does with truncation=True), which must then
    // leave room for the template. Throws Error(invalid_utf8) naming the byte offset when text is not
    // valid UTF-8, Error(invalid_argument) for a max_length below the template's size.
    std::vector<int32_t> encode(std::string_view text, int max_length) const;
    // The pieces alone: no template, no truncation (windows over long texts cut these).
    std::vector<int32_t> encode_pieces(std::string_view text) const;
    // prefix + pieces[0, count) + suffix.
    std::vector<int32_t> wrap(const int32_t* pieces, size_t count) const;

    const std::vector<int32_t>& prefix() const { return prefix_; }
    const std::vector<int32_t>& suffix() const { return suffix_; }
    size_t template_size() const { return prefix_.size() + suffix_.size(); }
    int32_t pad_id() const { return pad_id_; }
    const PiecesModel& pieces_model() const { return *pieces_; }

private:
    // Appends the pieces of text (valid UTF-8) to out until it holds at least limit ids.
    void append_pieces(std::string_view text, size_t limit, std::vector<int32_t>& out) const;

    // A raw stretch: normalized, split on the normalized added tokens, the rest pre-tokenized and modelled.
    void append_stretch(std::string_view stretch, size_t limit, std::vector<int32_t>& out) const;

    std::unique_ptr<PiecesModel> pieces_;
    AddedTokenSplitter added_;             // normalized=false tokens, on the raw text
    AddedTokenSplitter added_normalized_;  // normalized=true tokens (contents normalized), on normalized text
    std::vector<int32_t> prefix_, suffix_;
    int32_t pad_id_;
};

}  // namespace edgembed
