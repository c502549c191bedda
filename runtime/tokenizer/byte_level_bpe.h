// Byte-level BPE (GPT-2, RoBERTa, ModernBERT, Qwen2 / Qwen3), id-for-id equal to Hugging Face
// `tokenizers` on one stretch of text between added tokens:
//
//   1. the normalizer (bpe_normalizer.h: none, NFC, Lowercase, or a sequence of those);
//   2. add_prefix_space: a space before the stretch unless it starts with one (ByteLevel's rule);
//   3. the words of the split pattern (bpe_pre_tokenizer.h: gpt2 or qwen2);
//   4. each byte of a word becomes the vocab id of its byte-to-unicode character (GPT-2's table: the
//      printable bytes stand for themselves, the others for U+0100 + n); a byte whose character is not in
//      the vocab becomes unk_token, or is dropped when there is none, as `tokenizers` does;
//   5. merges apply lowest rank first, the leftmost of equal ranks first (bpe_merges.h: tokenizers'
//      Word::merge_all); with ignore_merges a word that is a vocab token is that token.
//
// A long text is normalized and split in pieces of about 16 KB cut where a space stands between two
// printable ASCII characters (a word boundary for both patterns, and a place where normalization can be
// cut), so append() stops soon after out reaches its limit and its buffers stay small. A text of 1 KB or
// more keeps the ids of its words in a cache of that call (bpe_word_cache.h).
//
// Usage:
//   edgembed::ByteLevelBpe bpe(config.bpe);
//   std::vector<int32_t> ids;
//   bpe.append("Hello world", SIZE_MAX, ids);  // roberta-base: 31414, 232
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/tokenizer/bpe_merges.h"
#include "runtime/tokenizer/bpe_normalizer.h"
#include "runtime/tokenizer/bpe_pre_tokenizer.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

namespace bpe_detail {

// The byte-to-unicode table of GPT-2: byte b stands for this code point in the vocab's tokens.
char32_t byte_to_unicode(uint8_t b) noexcept;

}  // namespace bpe_detail

class ByteLevelBpe final : public PiecesModel {
public:
    // Throws Error(invalid_config) naming the problem: a config that is not byte-level (or has byte_fallback /
    // fuse_unk), empty vocab, a token listed twice, a malformed merge, a merge whose parts or result are not
    // in the vocab, an unknown normalizer or pre_tokenizer, an unk_token not in the vocab.
    explicit ByteLevelBpe(const BpeConfig& config);

    void append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const override;
    // The normalizer alone, and append() after it (the prefix space, the split and the merges): the pipeline
    // matches added tokens with normalized=true in between.
    std::string normalize(std::string_view text) const override;
    void append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const override;
    int32_t token_to_id(std::string_view token) const override;
    std::size_t vocab_size() const override { return vocab_size_; }

    // The pieces of one word (raw bytes, already normalized and split), appended to out.
    void append_word(std::string_view word, std::vector<int32_t>& out) const;

private:
    struct Scratch;
    // append() and append_normalized(): the text in pieces, normalized first when `normalize` is set.
    void append_chunks(std::string_view text, bool normalize, std::size_t limit, std::vector<int32_t>& out) const;
    void append_word(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const;

    BpeNormalizer normalizer_;
    BpeSplitPattern pattern_;
    bool add_prefix_space_;
    bool ignore_merges_;
    std::unordered_map<std::string, int32_t> vocab_;  // token -> id
    std::size_t vocab_size_;
    bpe_detail::MergeMap merges_;
    std::array<int32_t, 256> byte_ids_{};  // -1: the byte's character is not in the vocab
    int32_t unk_id_ = -1;
};

}  // namespace edgembed
