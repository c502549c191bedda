#include "runtime/tokenizer/sentencepiece_proto.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "base/error.h"
#include "runtime/tokenizer/protobuf_wire.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed::sentencepiece_proto {

namespace {

using protobuf_wire::Field;
using protobuf_wire::WireReader;
using protobuf_wire::WireType;

[[noreturn]] void fail(const std::string& what) { throw Error(Status::invalid_config, "sentencepiece model: " + what); }

float as_float(const Field& f) {
    const uint32_t bits = static_cast<uint32_t>(f.value);
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
}

bool is(const Field& f, uint32_t number, WireType type) { return f.number == number && f.type == type; }

Piece read_piece(std::string_view message, std::size_t index) {
    Piece p;
    WireReader reader(message);
    for (Field f; reader.next(f);) {
        if (is(f, piece_field::piece, WireType::length_delimited)) p.text = f.bytes;
        if (is(f, piece_field::score, WireType::fixed32)) p.score = as_float(f);
        // proto2: an enum value outside the enum is an unknown field, and the field keeps its default.
        if (is(f, piece_field::type, WireType::varint) && f.value >= 1 && f.value <= 6) p.type = static_cast<int>(f.value);
    }
    const std::string where = "piece " + std::to_string(index);
    if (p.text.empty()) fail(where + " is empty");
    if (utf8_find_invalid(p.text) != utf8_npos) fail(where + " is not valid UTF-8");
    if (p.text.find('\0') != std::string_view::npos) fail(where + " holds a NUL byte");
    if (!std::isfinite(p.score)) fail(where + " (\"" + std::string(p.text) + "\") has a score that is not finite");
    return p;
}

void read_trainer_spec(std::string_view message, ModelSummary& out) {
    WireReader reader(message);
    for (Field f; reader.next(f);) {
        if (f.type != WireType::varint) continue;
        if (f.number == trainer_field::model_type) out.model_type = static_cast<int>(f.value);
        if (f.number == trainer_field::byte_fallback) out.byte_fallback = f.value != 0;
        if (f.number == trainer_field::unk_id) out.unk_id = static_cast<int32_t>(f.value);
    }
}

void read_normalizer_spec(std::string_view message, ModelSummary& out) {
    WireReader reader(message);
    for (Field f; reader.next(f);) {
        if (is(f, normalizer_field::name, WireType::length_delimited)) out.normalizer_name = f.bytes;
        if (is(f, normalizer_field::precompiled_charsmap, WireType::length_delimited)) {
            out.precompiled_charsmap = f.bytes;
        }
    }
}

}  // namespace

ModelSummary read_model(std::string_view serialized) {
    ModelSummary out;
    try {
        WireReader reader(serialized);
        for (Field f; reader.next(f);) {
            const bool message = f.type == WireType::length_delimited;
            if (message && f.number == model_field::pieces) {
                out.pieces.push_back(read_piece(f.bytes, out.pieces.size()));
            } else if (message && f.number == model_field::trainer_spec) {
                read_trainer_spec(f.bytes, out);
            } else if (message && f.number == model_field::normalizer_spec) {
                read_normalizer_spec(f.bytes, out);
            }
            if (f.number != model_field::self_test_data && f.number != model_field::denormalizer_spec) {
                out.for_library.append(f.encoded);
            }
        }
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const Error*>(&e)) throw;
        fail(e.what());
    }
    if (out.pieces.empty()) fail("no pieces");
    return out;
}

}  // namespace edgembed::sentencepiece_proto
