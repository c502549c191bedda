// The SentencePiece tokenizer of a Hugging Face model folder as a SentencePieceConfig
// (runtime/tokenizer/tokenizer_config.h), from either file a folder may hold:
//   - the SentencePiece model itself (spiece.model for T5, sentencepiece.bpe.model for XLM-R): the config
//     runs it the way transformers' T5 / XLM-R fast tokenizers do (Precompiled, WhitespaceSplit, Metaspace
//     "always", byte_fallback off whatever the model says, as they set it);
//   - else tokenizer.json: its Unigram vocab, Precompiled normalizer and Metaspace settings, written into a
//     ModelProto (the protobuf wire format, fields of sentencepiece_model.proto) that the library loads.
// Both results are loaded once (SentencePieceModel) before they are returned.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed::convert {

// bytes: the .model file; file: its name for messages. id_mapping is "identity": the caller sets "fairseq"
// for XLM-R (model_type "xlm-roberta"). Throws Error(invalid_checkpoint, file + ": ...") when the library
// or the runtime refuses it, Error(unsupported_architecture) for a model type other than Unigram.
SentencePieceConfig sentencepiece_from_model_file(const std::string& bytes, const std::string& file);

// True when tokenizer.json's Unigram vocab is laid out as transformers' XLMRobertaConverter writes it:
// "<s>" "<pad>" "</s>" "<unk>" first (scores 0), "<mask>" last (score 0), unk_id 3.
bool tokenizer_json_has_xlmr_layout(const nlohmann::json& doc);

// doc: tokenizer.json; file: its name for messages. An XLM-R layout becomes the SentencePiece order
// (<unk> <s> </s> then the pieces) with id_mapping "fairseq", the same config as from the XLM-R .model;
// any other vocab keeps its order with id_mapping "identity". Scores are stored as float, as a .model has
// them. Accepted: model Unigram (unk_id set, byte_fallback); normalizer Precompiled, alone or in a
// Sequence followed by Strip(right only) and / or Replace(Regex(" {2,}"), " " or "▁"), or none;
// pre_tokenizer Metaspace("▁", prepend_scheme always / never, split) alone or after WhitespaceSplit.
// Throws Error(unsupported_architecture, naming the component and file) for anything else,
// Error(invalid_checkpoint, file + ": ...") for a malformed one.
SentencePieceConfig sentencepiece_from_tokenizer_json(const nlohmann::json& doc, const std::string& file);

}  // namespace edgembed::convert
