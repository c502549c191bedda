// Reads the byte-level BPE settings of a Hugging Face tokenizer into a BpeConfig (runtime/tokenizer/
// byte_level_bpe.h runs it):
//
//   tokenizer.json  "model" (type BPE: vocab, merges as "a b" strings or ["a", "b"] pairs, unk_token,
//                   ignore_merges), "normalizer" (null, NFC, Lowercase, a Sequence of those) and
//                   "pre_tokenizer" (ByteLevel with use_regex, or Sequence [Split(the GPT-2 or Qwen2 regex,
//                   Isolated), ByteLevel without use_regex]);
//   vocab.json + merges.txt  the files of a folder without tokenizer.json (merges.txt may start with a
//                   "#version" line; such lines are skipped, as `tokenizers` does); the pre-tokenizer is then
//                   GPT-2's ByteLevel without prefix space, with no normalizer (the caller sets
//                   add_prefix_space from tokenizer_config.json if it says so).
//
// Added tokens and the post-processor are read elsewhere (the pipeline's added-token splitter and template).
// Settings that change ids but are not implemented are refused with Error(unsupported_architecture)
// naming them: dropout (other than 0), continuing_subword_prefix / end_of_word_suffix (non-empty),
// byte_fallback, fuse_unk, other normalizers or pre-tokenizers, other split patterns. Broken files give
// Error(invalid_config) (a missing or mistyped key) or Error(invalid_checkpoint) (bad JSON, a malformed
// merges.txt line, no merges, a merge of tokens not in the vocab); every message starts with the file name.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed::convert {

// The whole parsed tokenizer.json; file names it in messages.
BpeConfig bpe_from_tokenizer_json(const nlohmann::json& tokenizer_json, const std::string& file);

BpeConfig bpe_from_vocab_merges(const std::string& vocab_json_text, const std::string& merges_text,
                                const std::string& vocab_file, const std::string& merges_file);

// The split patterns, as tokenizer.json spells them in a Split pre-tokenizer.
extern const char* const kGpt2SplitRegex;
extern const char* const kQwen2SplitRegex;

}  // namespace edgembed::convert
