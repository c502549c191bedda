// SentencePiece Unigram models (T5, XLM-RoBERTa and its descendants: multilingual-e5, bge-m3,
// paraphrase-multilingual) as a PiecesModel, id-for-id equal to Hugging Face's fast tokenizer on each
// stretch of text between added tokens. The sentencepiece library loads and checks the ModelProto
// (SentencePieceProcessor::LoadFromSerializedProto) and gives its pieces, scores and <unk>; the text steps
// are Hugging Face's, which differ from the library's own Encode():
//   1. normalizer: Precompiled (the proto's precompiled_charsmap, applied per grapheme cluster:
//      precompiled_charsmap.h), then SentencePieceConfig's Strip / Replace(" {2,}") steps if any;
//   2. pre_tokenizer: WhitespaceSplit (every run of Unicode whitespace ends a word; the library only
//      knows U+0020), then Metaspace: " " -> "▁", "▁" put before every word that does not start with
//      one (each stretch between added tokens gets its own), split before every "▁";
//   3. model: Unigram on each pre-token, in double precision (unigram.h; the library's float lattice
//      breaks exact ties differently).
// Ids: "identity" (the proto's piece ids: T5) or "fairseq" (XLM-R: <s>=0 <pad>=1 </s>=2 <unk>=3, piece
// i >= 3 at i + 1, <mask> at the piece count + 1), the vocabulary transformers' XLMRobertaConverter builds.
//
// Usage:
//   edgembed::SentencePieceModel model(config.sentencepiece);
//   std::vector<int32_t> ids;
//   model.append("Hello world", SIZE_MAX, ids);  // t5-small: 8774, 296
//
// Thread safety: immutable after construction; append() may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/precompiled_charsmap.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "runtime/tokenizer/tokenizer_config.h"
#include "runtime/tokenizer/unigram.h"

namespace edgembed {

class SentencePieceModel final : public PiecesModel {
public:
    // Throws Error(invalid_config) naming the problem: a ModelProto the library refuses, a model type other
    // than Unigram, a malformed precompiled_charsmap, an unknown id_mapping or space_runs.
    explicit SentencePieceModel(const SentencePieceConfig& config);

    // text must be valid UTF-8 (Error(invalid_utf8) otherwise). Long texts are processed in chunks of
    // about 4 KB cut where Hugging Face's steps cannot see the cut, so that a limit stops early.
    void append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const override;
    // Step 1 alone (for added tokens with normalized=true), and steps 2-3 on its output.
    std::string normalize(std::string_view text) const override;
    void append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const override;
    int32_t token_to_id(std::string_view token) const override { return unigram_.token_to_id(token); }
    std::size_t vocab_size() const override { return unigram_.size(); }

    int32_t unk_id() const noexcept { return unigram_.unk_id(); }
    // Steps 1 and 2 alone: the pre-tokens of one stretch of text, as Hugging Face's
    // pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)) gives them.
    std::vector<std::string> pre_tokens(std::string_view text) const;

private:
    SentencePieceModel(const SentencePieceConfig& config, const sentencepiece_proto::ModelSummary& proto);
    static Unigram load_vocab(const SentencePieceConfig& config, const sentencepiece_proto::ModelSummary& proto);
    // Where the text may be cut between chunks: before `at`, a whitespace byte that stays a word boundary.
    bool is_cut_point(std::string_view text, std::size_t at) const;
    // Step 1 into `normalized` (scratch: working space).
    void normalize_into(std::string_view text, std::string& normalized, std::string& scratch) const;
    // Step 2; on_pre_token(std::string_view) gets each pre-token, returns false to stop.
    template <class OnPreToken>
    bool pre_tokenize(std::string_view normalized, std::string& scratch, OnPreToken&& on_pre_token) const;

    PrecompiledCharsmap charsmap_;
    Unigram unigram_;
    bool strip_right_;
    std::string space_runs_;
    bool whitespace_split_;
    bool prepend_space_;
};

}  // namespace edgembed
