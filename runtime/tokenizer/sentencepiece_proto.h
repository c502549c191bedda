// SentencePiece's ModelProto (sentencepiece_model.proto of sentencepiece 0.1.97): the field numbers
// edgembed reads and writes, and a reader of the settings the runtime needs that the library does not
// expose (the normalizer spec, the model type, byte_fallback). The converter writes ModelProtos with the
// same numbers (tools/convert/hf_sentencepiece.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgembed::sentencepiece_proto {

namespace model_field {
constexpr uint32_t pieces = 1, trainer_spec = 2, normalizer_spec = 3, self_test_data = 4, denormalizer_spec = 5;
}
namespace piece_field {
constexpr uint32_t piece = 1, score = 2, type = 3;
}
namespace trainer_field {
constexpr uint32_t model_type = 3, vocab_size = 4, byte_fallback = 35, unk_id = 40, bos_id = 41, eos_id = 42,
                   pad_id = 43, unk_piece = 45, bos_piece = 46, eos_piece = 47, pad_piece = 48;
}
namespace normalizer_field {
constexpr uint32_t name = 1, precompiled_charsmap = 2, add_dummy_prefix = 3, remove_extra_whitespaces = 4,
                   escape_whitespaces = 5;
}

enum PieceType : int { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };
enum ModelType : int { unigram = 1, bpe = 2, word = 3, character = 4 };

struct Piece {
    std::string_view text;
    float score = 0.0f;
    int type = PieceType::normal;
};

// What one serialized ModelProto says (views into it), proto2 rules: the last value of a scalar field
// wins, repeated sub-messages are merged, unknown fields are skipped.
struct ModelSummary {
    std::vector<Piece> pieces;
    int model_type = ModelType::unigram;
    bool byte_fallback = false;
    int unk_id = 0;
    std::string_view normalizer_name;
    std::string_view precompiled_charsmap;
    // The message without self_test_data and denormalizer_spec: loading it, the library runs no
    // self-test encode and builds no denormalizer, so it never walks a (possibly forged) charsmap.
    std::string for_library;
};

// Throws Error(invalid_config, "sentencepiece model: ...") on a malformed message, an empty piece, a piece
// that is not valid UTF-8 or holds a NUL byte, or a score that is not finite.
ModelSummary read_model(std::string_view serialized);

}  // namespace edgembed::sentencepiece_proto
