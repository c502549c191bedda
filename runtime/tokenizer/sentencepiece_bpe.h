// SentencePiece-style BPE (Gemma / Gemma 3 / EmbeddingGemma, Llama 2, Mistral: a BpeConfig with byte_level
// false), id-for-id equal to Hugging Face `tokenizers` on one stretch of text between added tokens:
//
//   1. the normalizer: Prepend("▁") to a non-empty stretch, and / or Replace(" ", "▁");
//   2. the pre-tokenizer: none (the stretch is one word), or Split on a literal pattern (literal_split.h;
//      Gemma: Split(" ", merged_with_previous), which finds nothing after step 1);
//   3. each character of a word that is a vocab token is that token; any other becomes the <0xXX> pieces of
//      its UTF-8 bytes (byte_fallback), else unk_token (one for a run of them with fuse_unk), else nothing;
//   4. merges lowest rank first, the leftmost of equal ranks first (bpe_merges.h: tokenizers'
//      Word::merge_all); with ignore_merges a word that is a vocab token is that token.
//
// Without a pre-tokenizer a whole text is one word (Gemma's Split finds no space after Replace). A word is
// merged piece by piece, cut only where no merge can join the two sides: between characters x and y that
// are vocab tokens when no merge joins a token ending in x to one starting with y (a symbol spanning the
// cut could only come from such a merge, so the merges on each side are those of the whole word). With a
// vocabulary trained on whitespace-split text that is before most "▁", so pieces are word-sized: append()
// stops soon after out reaches its limit, and a text of 1 KB or more caches the ids of its pieces
// (bpe_word_cache.h). A text with no such place (one character repeated, say) is merged whole:
// O(n log n), the queue of a heap.
//
// Usage:
//   edgembed::SentencePieceBpe bpe(config.bpe);
//   std::vector<int32_t> ids;
//   bpe.append("Hello world", SIZE_MAX, ids);
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/tokenizer/bpe_merges.h"
#include "runtime/tokenizer/bpe_word_cache.h"
#include "runtime/tokenizer/literal_split.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

class SentencePieceBpe final : public PiecesModel {
public:
    // Throws Error(invalid_config) naming the problem: a byte-level config, empty vocab, a token listed twice,
    // a malformed merge, a merge whose parts or result are not in the vocab, an unknown normalizer step or
    // pre_tokenizer, an empty split pattern or unknown split behavior, an unk_token not in the vocab, a
    // <0xXX> byte piece missing with byte_fallback.
    explicit SentencePieceBpe(const BpeConfig& config);

    void append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const override;
    // Step 1 alone, and steps 2-4 on its output (the pipeline matches normalized=true added tokens between).
    std::string normalize(std::string_view text) const override;
    void append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const override;
    int32_t token_to_id(std::string_view token) const override;
    std::size_t vocab_size() const override { return vocab_size_; }

    // Step 2 alone: the words of a normalized stretch, as tokenizers' pre_tokenize_str gives them.
    std::vector<std::string> pre_tokens(std::string_view normalized) const;

private:
    // Step 2; on_word(std::string_view) gets each non-empty word, returns false to stop.
    template <class OnWord>
    void for_each_word(std::string_view normalized, OnWord&& on_word) const;
    // Per-call working memory: the merge loop's word, the ids of the pieces seen.
    struct Scratch {
        bpe_detail::BpeWord word;
        bpe_detail::BpeWordCache cache;
    };
    // Steps 3-4 on one word, piece by piece; stops once out holds limit ids.
    void append_word(std::string_view word, std::size_t limit, Scratch& scratch, std::vector<int32_t>& out) const;
    // Steps 3-4 on one piece of a word.
    void append_piece(std::string_view piece, bpe_detail::BpeWord& word, std::vector<int32_t>& out) const;
    // The end of the piece of word that starts at pos: the first place after pos where no merge joins the
    // sides, else the word's end.
    std::size_t piece_end(std::string_view word, std::size_t pos) const;
    // The id of the one-character token cp, -1 when the vocab has none.
    int32_t char_id(char32_t cp) const;

    bool prepend_metaspace_ = false;
    bool space_to_metaspace_ = false;
    std::optional<LiteralSplit> split_;  // none: the stretch is one word
    bool ignore_merges_;
    bool byte_fallback_;
    bool fuse_unk_;
    std::unordered_map<std::string, int32_t> vocab_;  // token -> id
    std::size_t vocab_size_;
    std::array<int32_t, 128> ascii_ids_{};              // -1: not a token
    std::unordered_map<char32_t, int32_t> char_ids_;    // the other one-character tokens
    std::array<int32_t, 256> byte_ids_{};               // <0xXX>; -1: not in the vocab
    int32_t unk_id_ = -1;
    bpe_detail::MergeMap merges_;
    // (last character of a merge's left part) << 32 | (first character of its right part), for every merge.
    std::unordered_set<uint64_t> joins_;
};

}  // namespace edgembed
