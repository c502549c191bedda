#include "tools/serve/embedding_response.h"

#include <cstring>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "runtime/pooling.h"

namespace edgembed::serve {
namespace {

std::string base64_floats(const float* v, size_t count) {
    static_assert(sizeof(float) == 4, "float32 expected");
    std::string bytes(count * 4, '\0');
    std::memcpy(bytes.data(), v, bytes.size());  // little-endian hosts only (x86-64, AArch64 Linux)
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

}  // namespace

std::string embedding_response(const std::string& model, std::vector<float>& vectors, const ResponseShape& shape,
                               size_t tokens) {
    const size_t rows = shape.dimension ? vectors.size() / shape.dimension : 0;
    const size_t keep = shape.keep ? shape.keep : shape.dimension;
    nlohmann::json data = nlohmann::json::array();
    for (size_t i = 0; i < rows; ++i) {
        float* v = vectors.data() + i * shape.dimension;
        // sentence-transformers' truncate_dim order: cut, then normalize.
        if (keep < shape.dimension && shape.renormalize) l2_normalize(v, keep);
        nlohmann::json embedding = shape.base64 ? nlohmann::json(base64_floats(v, keep)) : nlohmann::json(std::vector<float>(v, v + keep));
        data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
    }
    const nlohmann::json body = {{"object", "list"},
                                 {"data", std::move(data)},
                                 {"model", model},
                                 {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    return body.dump();
}

}  // namespace edgembed::serve
