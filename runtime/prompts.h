// sentence-transformers prompts: a text is embedded as prompt + text (the prompt counts towards the
// token limit and is truncated with the text, as in SentenceTransformer.encode).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/model_config.h"

namespace edgembed {

// The prompt a call uses, as sentence-transformers resolves it: the literal `prompt` when given (also
// ""), else the prompt named `prompt_name`, else the model's default prompt, else "". An unknown name
// is Error(invalid_argument) naming it and listing the model's prompts.
std::string resolve_prompt(const ModelConfig& config, std::optional<std::string_view> prompt_name,
                           std::optional<std::string_view> prompt);

}  // namespace edgembed
