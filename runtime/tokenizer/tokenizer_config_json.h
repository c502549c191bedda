// TokenizerConfig <-> the model file's config.tokenizer JSON object, and the layout of files written before
// model families (config.wordpiece with special-token spellings), from which the template is derived.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/tokenizer/tokenizer_config.h"

namespace edgembed {

// The name of the u8 tensor holding a SentencePiece model's serialized ModelProto.
inline constexpr const char* kSentencePieceModelTensor = "tokenizer.sentencepiece_model";

void to_json(nlohmann::json& out, const TokenizerConfig& config);
// vocab: the vocabulary parsed apart (model_file/metadata_json.h), moved from; null: read from the JSON.
// Throws Error(invalid_config) naming the key.
TokenizerConfig tokenizer_config_from_json(const nlohmann::json& in, std::vector<std::string>* vocab);
TokenizerConfig legacy_wordpiece_config_from_json(const nlohmann::json& wordpiece, std::vector<std::string>* vocab);
// Ids within [0, vocab_size), a known type and the type's own settings. Throws Error(invalid_config).
void validate(const TokenizerConfig& config, int vocab_size);

}  // namespace edgembed
