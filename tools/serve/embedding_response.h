// The body of a POST /v1/embeddings answer: {object: "list", data: [{object: "embedding", index,
// embedding}], model, usage: {prompt_tokens, total_tokens}}, vectors as JSON floats or base64
// (little-endian float32, what the openai client asks for by default).
#pragma once

#include <string>
#include <vector>

namespace edgembed::serve {

struct ResponseShape {
    size_t dimension = 0;   // floats per vector in `vectors`
    size_t keep = 0;        // `dimensions` of the request (the first `keep` floats), 0 = all
    bool renormalize = false;  // L2-normalize the kept floats (the model normalizes its vectors)
    bool base64 = false;
};

// vectors: rows of shape.dimension floats, in input order.
std::string embedding_response(const std::string& model, std::vector<float>& vectors, const ResponseShape& shape,
                               size_t tokens);

}  // namespace edgembed::serve
