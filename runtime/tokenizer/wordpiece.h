// BERT WordPiece tokenizer, id-for-id compatible with the Hugging Face fast tokenizer (`tokenizers`
// BertNormalizer + BertPreTokenizer + WordPiece + the [CLS] A [SEP] template):
//
//   1. added tokens (WordPieceConfig::added_tokens, e.g. "[SEP]") are matched verbatim in the raw text,
//      leftmost-longest, before normalization (HF added tokens with normalized=false, no lstrip / rstrip,
//      not single_word); each match becomes its vocab id;
//   2. the text between matches is normalized and pre-tokenized (bert_normalizer.h);
//   3. each word is split greedily, longest match first, continuation pieces carrying the
//      continuing_subword_prefix ("##"); a word longer than max_input_chars_per_word code points, or
//      one that cannot be split completely, becomes [UNK].
//
// Usage:
//   edgembed::WordPieceTokenizer tok(config.wordpiece);
//   std::vector<int32_t> ids = tok.encode("Hello world", 256);  // [CLS] hello world [SEP]
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model_config.h"
#include "runtime/tokenizer/bert_normalizer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgembed {

namespace wordpiece_detail {

// Open-addressing hash map string -> id over one key arena; lookups take a string_view and never
// allocate.
class TokenMap {
public:
    void reserve(std::size_t count);
    // Inserts or overwrites (the last id of a duplicated token wins, as in `tokenizers`).
    void insert(std::string_view key, int32_t id);
    // -1 when absent.
    int32_t find(std::string_view key) const noexcept;
    std::size_t size() const noexcept { return size_; }
    // Byte length of the longest key.
    std::size_t max_key_length() const noexcept { return max_key_length_; }

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t offset = 0;
        uint32_t length = 0;
        int32_t id = -1;  // -1: empty
    };
    void grow();

    std::string arena_;
    std::vector<Slot> slots_;  // size is a power of two, at most half full
    std::size_t size_ = 0;
    std::size_t max_key_length_ = 0;
};

}  // namespace wordpiece_detail

class WordPieceTokenizer final : public Tokenizer {
public:
    // Throws Error(invalid_config) naming the token when a special or added token is not in the vocab.
    explicit WordPieceTokenizer(const WordPieceConfig& config);

    // max_length <= 0: no truncation; max_length == 1 throws Error(invalid_argument) (Hugging Face logs an
    // error and does not truncate).
    std::vector<int32_t> encode(std::string_view text, int max_length) const override;
    std::vector<int32_t> encode_pieces(std::string_view text) const override;
    int32_t cls_id() const override { return cls_id_; }
    int32_t sep_id() const override { return sep_id_; }
    int32_t pad_id() const override { return pad_id_; }
    int32_t unk_id() const { return unk_id_; }

    // -1 when the token is not in the vocab.
    int32_t token_to_id(std::string_view token) const noexcept { return vocab_.find(token); }
    // The pieces of one pre-tokenized word (UTF-8, already normalized), appended to out.
    void tokenize_word(std::string_view word, std::size_t char_count, std::vector<int32_t>& out) const;

private:
    // Appends the pieces of text to out, stopping once out holds at least limit ids.
    void append_pieces(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const;

    struct AddedToken {
        std::string text;
        int32_t id;
    };

    BertNormalizer normalizer_;
    wordpiece_detail::TokenMap vocab_;         // token -> id
    wordpiece_detail::TokenMap continuation_;  // token without the continuing prefix -> id
    std::vector<AddedToken> added_;            // longest first
    std::array<bool, 256> added_first_byte_{};
    int32_t unk_id_ = -1;
    int32_t cls_id_ = -1;
    int32_t sep_id_ = -1;
    int32_t pad_id_ = -1;
    std::size_t max_input_chars_per_word_ = 100;
};

}  // namespace edgembed
