// Tiny but complete BERT model files built in memory (a few KB to a few hundred KB), for the hostile
// input and concurrency tests and the model-loader fuzz seed (fuzz/make_tiny_model.cpp). Every tensor of
// the BERT family table (runtime/models/bert.cpp) is present with the shape the config implies; weights
// are deterministic multiples of 1/64 in [-1, 1] (exact in f16), qc8 linear weights carry their "<name>.scales" tensor.
// `edit` hooks let a test damage one tensor or the config before the file is serialized.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "runtime/model_config.h"
#include "runtime/model_file/writer.h"
#include "runtime/models/family.h"

namespace edgembed::testing {

// Specials, single letters and their "##" continuations (so every ASCII word has pieces), a few words,
// punctuation and non-ASCII tokens.
inline std::vector<std::string> tiny_vocab() {
    std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (char c = 'a'; c <= 'z'; ++c) v.push_back(std::string(1, c));
    for (char c = 'a'; c <= 'z'; ++c) v.push_back("##" + std::string(1, c));
    for (const char* w : {"the", "edge", "embed", "##ing", "##s", "##ed", "cat", "dog", ",", ".", "!", "?", "0", "1",
                          "\xC3\xA9" /* é */, "\xE4\xB8\xAD" /* 中 */, "##\xC3\xA9"})
        v.push_back(w);
    return v;
}

struct TinyModelSpec {
    int hidden = 8;
    int layers = 1;
    int heads = 2;
    int ffn = 16;
    int positions = 32;
    int max_seq_length = 32;
    std::string weights = "f32";  // f32 | f16 (matrices in half precision) | int8 (qc8 linear weights)
    // int8: the FFN output projections (every linear layer with outliers_in_every_linear) keep their first
    // outlier_channels input channels (at most all of them) in f32 ("<name>.outlier_channels" /
    // "<name>.outlier_columns", zero in the int8 weight).
    int outlier_channels = 0;
    bool outliers_in_every_linear = false;
    uint32_t seed = 1;
    std::vector<std::string> vocab = tiny_vocab();
};

// One tensor about to be written; an edit may change anything, or set `drop` to leave it out.
struct TinyTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
    bool drop = false;
};
using TinyTensorEdit = std::function<void(TinyTensor&)>;
using TinyConfigEdit = std::function<void(ModelConfig&)>;

// A BERT tokenizer over `vocab`: WordPiece, the specials matched verbatim, [CLS] x [SEP], [PAD] padding.
inline TokenizerConfig bert_tokenizer_config(const std::vector<std::string>& vocab) {
    auto id = [&](const std::string& token) {
        return static_cast<int32_t>(std::find(vocab.begin(), vocab.end(), token) - vocab.begin());
    };
    TokenizerConfig t;
    t.type = "wordpiece";
    t.wordpiece.vocab = vocab;
    for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) t.added_tokens.push_back(AddedToken{special, id(special)});
    t.prefix = {id("[CLS]")};
    t.suffix = {id("[SEP]")};
    t.pad_id = id("[PAD]");
    return t;
}

inline ModelConfig tiny_config(const TinyModelSpec& s) {
    ModelConfig c;
    c.weight_dtype = s.weights;
    c.hidden_size = s.hidden;
    c.num_layers = s.layers;
    c.num_heads = s.heads;
    c.intermediate_size = s.ffn;
    c.max_position_embeddings = s.positions;
    c.type_vocab_size = 2;
    c.vocab_size = static_cast<int>(s.vocab.size());
    c.max_seq_length = s.max_seq_length;
    c.tokenizer = bert_tokenizer_config(s.vocab);
    c.source = "tests/runtime/tiny_model_file.h";
    return c;
}

namespace tiny_detail {

template <class T>
std::vector<uint8_t> raw(const std::vector<T>& v) {
    std::vector<uint8_t> out(v.size() * sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), v.data(), out.size());
    return out;
}

// Exact for k/64, |k| <= 64 (normal halves or zero).
inline uint16_t f16_bits(float f) {
    if (f == 0.0f) return std::signbit(f) ? 0x8000 : 0;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
    return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exponent) << 10) | ((bits >> 13) & 0x3ffu));
}

}  // namespace tiny_detail

// The model file's bytes. Throws Error when an edit makes the writer refuse (e.g. a size mismatch).
inline std::vector<uint8_t> tiny_model_file(const TinyModelSpec& spec, const TinyTensorEdit& edit_tensor = {},
                                            const TinyConfigEdit& edit_config = {}) {
    ModelConfig config = tiny_config(spec);
    const std::vector<models::TensorSpec> specs = models::tensor_specs(config);
    if (edit_config) edit_config(config);
    model_file::Writer writer(config);
    uint32_t state = spec.seed * 2654435761u + 12345u;
    auto next = [&state] {  // k / 64, k in [-64, 64]
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(static_cast<int>((state >> 8) % 129) - 64) / 64.0f;
    };
    auto add = [&](TinyTensor t) {
        if (edit_tensor) edit_tensor(t);
        if (!t.drop) writer.add_tensor(t.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size());
    };
    for (const models::TensorSpec& s : specs) {
        size_t n = 1;
        for (int64_t d : s.shape) n *= static_cast<size_t>(d);
        std::vector<float> v(n);
        const bool layer_norm_weight = s.name.find("LayerNorm.weight") != std::string::npos;
        for (float& x : v) x = layer_norm_weight ? 1.0f + next() / 4 : next();
        if (spec.weights == "int8" && s.is_linear_weight) {
            const size_t rows = static_cast<size_t>(s.shape[0]), cols = n / rows;
            const std::string ffn_out = ".output.dense.weight";
            const bool is_ffn_out = s.name.find("attention") == std::string::npos && s.name.size() > ffn_out.size() &&
                                    s.name.compare(s.name.size() - ffn_out.size(), ffn_out.size(), ffn_out) == 0;
            if ((is_ffn_out || spec.outliers_in_every_linear) && spec.outlier_channels > 0) {
                const size_t k = std::min(static_cast<size_t>(spec.outlier_channels), cols);
                std::vector<int32_t> channels(k);
                std::vector<float> columns(rows * k);
                for (size_t c = 0; c < k; ++c) channels[c] = static_cast<int32_t>(c);
                for (size_t r = 0; r < rows; ++r)
                    for (size_t c = 0; c < k; ++c) {
                        columns[r * k + c] = v[r * cols + c];
                        v[r * cols + c] = 0.0f;
                    }
                add({qc8_outlier_channels_name(s.name), DType::i32, {static_cast<int64_t>(k)}, tiny_detail::raw(channels)});
                add({qc8_outlier_columns_name(s.name), DType::f32, {s.shape[0], static_cast<int64_t>(k)}, tiny_detail::raw(columns)});
            }
            std::vector<int8_t> q(n);
            std::vector<float> scales(rows);
            for (size_t r = 0; r < rows; ++r) {
                float amax = 0;
                for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(v[r * cols + c]));
                scales[r] = amax > 0 ? amax / 127.0f : 1.0f;
                for (size_t c = 0; c < cols; ++c)
                    q[r * cols + c] = static_cast<int8_t>(std::lround(v[r * cols + c] / scales[r]));
            }
            add({s.name, DType::qc8, s.shape, tiny_detail::raw(q)});
            add({qc8_scales_name(s.name), DType::f32, {s.shape[0]}, tiny_detail::raw(scales)});
        } else if (spec.weights == "f16" && s.shape.size() == 2) {
            std::vector<uint16_t> h(n);
            for (size_t i = 0; i < n; ++i) h[i] = tiny_detail::f16_bits(v[i]);
            add({s.name, DType::f16, s.shape, tiny_detail::raw(h)});
        } else {
            add({s.name, DType::f32, s.shape, tiny_detail::raw(v)});
        }
    }
    return writer.serialize();
}

}  // namespace edgembed::testing
