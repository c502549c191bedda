// What a model file says about its tokenizer: the pieces model (WordPiece, SentencePiece or byte-level
// BPE) and its settings, the added tokens matched verbatim in the raw text, and the single-sequence
// template (prefix ids, the pieces, suffix ids). Stored as config.tokenizer of the metadata JSON
// (runtime/model_config.cpp reads and writes it; files of format revision 1 stored only "wordpiece").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgembed {

// A token matched verbatim, leftmost first, longest first at one position: in the raw text (Hugging Face
// added tokens with normalized=false), or with normalized=true in the text the pieces model normalized.
struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool lstrip = false;       // swallows the whitespace before it
    bool rstrip = false;       // swallows the whitespace after it
    bool single_word = false;  // matches only when no word character touches it
    bool normalized = false;   // matched after normalization (its content normalized the same way)
};

struct WordPieceConfig {
    std::vector<std::string> vocab;  // id -> token
    bool lowercase = true;
    bool strip_accents = true;       // HF: strip_accents, or lowercase when unset
    bool handle_chinese_chars = true;
    bool clean_text = true;
    std::string unk_token = "[UNK]";
    std::string continuing_subword_prefix = "##";
    int max_input_chars_per_word = 100;
};

// A SentencePiece Unigram model (the sentencepiece library loads and checks it) run the way Hugging
// Face's fast tokenizer runs it (runtime/tokenizer/sentencepiece_model.h). The text steps around the model
// are tokenizer.json's; the defaults are what transformers builds from a .model for T5 and XLM-R
// (normalizer Precompiled, pre_tokenizer WhitespaceSplit + Metaspace with prepend_scheme "always").
struct SentencePieceConfig {
    std::string model_proto;  // the serialized ModelProto (a .model file's bytes); its precompiled_charsmap
                              // is the Precompiled normalizer (none when empty)
    // How the library's ids become model ids: "identity", or "fairseq" (XLM-RoBERTa: <s>=0, <pad>=1,
    // </s>=2, <unk>=3, every other piece at its SentencePiece id + 1, <mask> after the last piece).
    std::string id_mapping = "identity";
    // normalizer steps after Precompiled, in this order:
    bool strip_right = false;  // Strip(left=false, right=true): trailing Unicode whitespace removed
    std::string space_runs;    // Replace(Regex(" {2,}"), space_runs); "" = no such step
    // pre_tokenizer:
    bool whitespace_split = true;  // WhitespaceSplit before Metaspace (false: Metaspace alone, split=true)
    bool prepend_space = true;     // Metaspace prepend_scheme "always" (false: "never")
    // model:
    bool byte_fallback = false;    // Unigram byte_fallback (transformers' T5 / XLM-R tokenizers: false)
    // The scores as `tokenizers` reads them from tokenizer.json (runtime/tokenizer/json_score.h) instead of
    // the proto's floats: set for a config made from tokenizer.json, whose scores are those floats.
    bool json_scores = false;
};

// BPE, as Hugging Face `tokenizers` runs a BPE model. byte_level (GPT-2 / RoBERTa / ModernBERT / Qwen2):
// the text's bytes in GPT-2's byte-to-unicode alphabet (byte_level_bpe.h). Otherwise SentencePiece-style
// (Gemma, Llama 2): the text's characters, with <0xXX> byte pieces for those not in the vocab
// (sentencepiece_bpe.h). Files written before byte_level existed are byte-level.
struct BpeConfig {
    std::vector<std::string> vocab;   // id -> token
    std::vector<std::string> merges;  // "left right", highest priority first
    // Steps in order, separated by commas. Byte-level: "nfc", "lowercase". SentencePiece-style:
    // "prepend_metaspace" (Prepend("▁") to a non-empty stretch), "space_to_metaspace" (Replace(" ", "▁")).
    std::string normalizer;
    // Byte-level: the split pattern, "gpt2" | "qwen2". SentencePiece-style: "none" (the whole stretch is one
    // word) | "split" (Split on the literal split_pattern, split_behavior, split_invert).
    std::string pre_tokenizer = "gpt2";
    std::string split_pattern;
    std::string split_behavior;       // "removed" | "isolated" | "merged_with_previous" | "merged_with_next" | "contiguous"
    bool split_invert = false;
    bool add_prefix_space = false;    // byte-level only
    std::string unk_token;            // "" = none
    bool ignore_merges = false;       // a word that is a vocab token is that token (Llama 3 style)
    bool byte_level = true;
    bool byte_fallback = false;       // SentencePiece-style: a character not in the vocab becomes <0xXX> pieces
    bool fuse_unk = false;            // SentencePiece-style: a run of unknown characters is one unk_token
};

struct TokenizerConfig {
    std::string type = "wordpiece";  // "wordpiece" | "sentencepiece" | "bpe"
    WordPieceConfig wordpiece;
    SentencePieceConfig sentencepiece;
    BpeConfig bpe;
    std::vector<AddedToken> added_tokens;
    // The post-processor template for one text: prefix + pieces + suffix ([CLS] x [SEP], <s> x </s>, x </s>).
    std::vector<int32_t> prefix, suffix;
    int32_t pad_id = 0;
};

}  // namespace edgembed
