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

// SentencePiece through the sentencepiece library (Unigram or BPE models alike).
struct SentencePieceConfig {
    std::string model_proto;  // the serialized ModelProto (a .model file's bytes)
    // How the library's ids become model ids: "identity", or "fairseq" (XLM-RoBERTa: <s>=0, <pad>=1,
    // </s>=2, <unk>=3, every other piece at its SentencePiece id + 1, <mask> after the last piece).
    std::string id_mapping = "identity";
};

// Byte-level BPE (GPT-2 / RoBERTa / ModernBERT / Qwen2 style).
struct BpeConfig {
    std::vector<std::string> vocab;   // id -> token, in the byte-to-unicode alphabet
    std::vector<std::string> merges;  // "left right", highest priority first
    std::string normalizer;           // "" (none) | "nfc" | "lowercase" | steps in order: "nfc,lowercase"
    std::string pre_tokenizer = "gpt2";  // the split pattern: "gpt2" | "qwen2"
    bool add_prefix_space = false;
    std::string unk_token;            // "" = none
    bool ignore_merges = false;       // a word that is a vocab token is that token (Llama 3 style)
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
