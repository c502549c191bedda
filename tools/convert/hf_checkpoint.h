// Reads a Hugging Face model directory (optionally a sentence-transformers one) into a ModelConfig
// and its weights:
//   config.json                    architecture and dimensions (model_type "bert" only)
//   vocab.txt                      the WordPiece vocabulary (required)
//   tokenizer.json                 normalizer / WordPiece settings and verbatim added tokens, if present;
//   tokenizer_config.json          else do_lower_case / strip_accents / tokenize_chinese_chars;
//   special_tokens_map.json        the [CLS] / [SEP] / [PAD] / [UNK] spellings
//   modules.json                   sentence-transformers pipeline: Transformer, Pooling (its
//                                  config.json gives the mode), optional Dense modules (st_dense.h), optional
//                                  Normalize; anything else is refused
//   sentence_bert_config.json      max_seq_length
//   model.safetensors | model.safetensors.index.json | pytorch_model.bin | pytorch_model.bin.index.json
// Messages name the file (relative to the directory) and the key.
#pragma once

#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/checkpoint_tensors.h"

namespace edgembed::convert {

struct HfCheckpoint {
    ModelConfig config;     // complete, with weight_dtype "f32" and default_temperature 1 (the caller overrides)
    std::string model_dir;  // holds config.json, the tokenizer and the weights (a Transformer module's path)
    std::string root_dir;   // the directory given (modules.json's)
    std::vector<std::string> dense_paths;  // config.dense's folders, relative to root_dir (st_dense.h)
};

// Throws Error: file_not_found (no directory / config.json / vocab.txt), unsupported_architecture,
// invalid_config (a missing or mistyped key), invalid_checkpoint (inconsistent files).
HfCheckpoint read_hf_checkpoint(const std::string& dir, const NoteFn& note);

struct HfWeights {
    TensorSet tensors;
    std::string files;  // what was read, for the summary ("model.safetensors", "3 shards of ...")
};

// Throws Error(file_not_found) when the directory has no weights file.
HfWeights read_hf_weights(const std::string& model_dir);

}  // namespace edgembed::convert
