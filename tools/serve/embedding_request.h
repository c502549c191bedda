// POST /v1/embeddings bodies (OpenAI's schema plus TEI's prompt_name / input_type), parsed and checked
// for shape; what depends on the model (its name, dimensions, prompts) is checked against it later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgembed::serve {

struct EmbeddingRequest {
    std::string model;                            // "" when the body names none
    std::vector<std::string> texts;               // input as a string or a list of strings, or
    std::vector<std::vector<int32_t>> token_ids;  // input as token ids (one array, or a list of arrays)
    bool base64 = false;                          // encoding_format "base64" (little-endian float32)
    std::optional<int> dimensions;                // Matryoshka: keep the first N, renormalize
    std::optional<std::string> prompt_name;       // a prompt the model stores; unknown names are errors
    std::optional<std::string> input_type;        // "query" or "document": that prompt when the model has it

    size_t inputs() const { return texts.empty() ? token_ids.size() : texts.size(); }
};

struct RequestLimits {
    size_t max_inputs = 2048;  // inputs per request (OpenAI's limit); more is 413
};

// Throws ApiError: 400 for invalid JSON or UTF-8, a missing or empty input, a wrongly typed field or an
// unknown encoding_format / input_type; 413 for more than limits.max_inputs inputs.
EmbeddingRequest parse_embedding_request(std::string_view body, const RequestLimits& limits);

}  // namespace edgembed::serve
