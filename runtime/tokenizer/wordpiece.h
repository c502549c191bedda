// WordPiece, the pieces model of BERT-style tokenizers, id-for-id compatible with the Hugging Face fast
// tokenizer (`tokenizers` BertNormalizer + BertPreTokenizer + WordPiece) on a stretch of raw text between
// added tokens:
//   1. the text is normalized and pre-tokenized (bert_normalizer.h);
//   2. each word is split greedily, longest match first, continuation pieces carrying the
//      continuing_subword_prefix ("##"); a word longer than max_input_chars_per_word code points, or
//      one that cannot be split completely, becomes the unk token.
// Added tokens and the [CLS] x [SEP] template are the pipeline's (tokenizer.h).
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/bert_normalizer.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/tokenizer_config.h"

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

class WordPieceModel final : public PiecesModel {
public:
    // Throws Error(invalid_config) naming the token when the unk token is not in the vocab.
    explicit WordPieceModel(const WordPieceConfig& config);

    void append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const override;
    std::string normalize(std::string_view text) const override { return normalizer_.normalize(text); }
    void append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const override;
    int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
    std::size_t vocab_size() const override { return vocab_size_; }
    int32_t unk_id() const { return unk_id_; }

    // The pieces of one pre-tokenized word (UTF-8, already normalized), appended to out.
    void tokenize_word(std::string_view word, std::size_t char_count, std::vector<int32_t>& out) const;

private:
    // append() and append_normalized(): the text in chunks, normalized first when `normalize` is set.
    void append_chunks(std::string_view text, bool normalize, std::size_t limit, std::vector<int32_t>& out) const;

    BertNormalizer normalizer_;
    wordpiece_detail::TokenMap vocab_;         // token -> id
    wordpiece_detail::TokenMap continuation_;  // token without the continuing prefix -> id
    int32_t unk_id_ = -1;
    std::size_t vocab_size_ = 0;
    std::size_t max_input_chars_per_word_ = 100;
};

}  // namespace edgembed
