// Reads the tokenizer files of a Hugging Face model directory into a TokenizerConfig: the pieces model
// (WordPiece from vocab.txt, SentencePiece from a .model file, byte-level BPE from vocab.json + merges.txt,
// or any of them from tokenizer.json), the added tokens matched verbatim, and the single-text template.
//   tokenizer.json             what the fast tokenizer (the Hugging Face default) does; preferred
//   tokenizer_config.json      the slow tokenizer's settings, model_max_length, special tokens
//   special_tokens_map.json    the special tokens' spellings
// Messages name the file and the key; anything the runtime does not implement is refused, named.
#pragma once

#include <optional>
#include <string>

#include "runtime/tokenizer/tokenizer_config.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/hf_files.h"

namespace edgembed::convert {

struct HfTokenizer {
    TokenizerConfig config;
    std::optional<double> model_max_length;  // tokenizer_config.json
};

// model_type: config.json's, which picks XLM-RoBERTa's fairseq ids for SentencePiece models.
HfTokenizer read_hf_tokenizer(const HfFiles& files, const std::string& model_type, const NoteFn& note);

}  // namespace edgembed::convert
