#include "runtime/tokenizer/protobuf_wire.h"

#include <cstring>
#include <stdexcept>

namespace edgembed::protobuf_wire {

namespace {

[[noreturn]] void malformed(const char* what, std::size_t offset) {
    throw std::runtime_error(std::string("malformed protobuf: ") + what + " at byte " + std::to_string(offset));
}

}  // namespace

uint64_t WireReader::varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= data_.size()) malformed("varint cut short", pos_);
        const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
        value |= static_cast<uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    malformed("varint longer than 10 bytes", pos_);
}

bool WireReader::next(Field& field) {
    if (pos_ >= data_.size()) return false;
    const std::size_t start = pos_;
    const uint64_t key = varint();
    if ((key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF) malformed("field number out of range", start);
    field.number = static_cast<uint32_t>(key >> 3);
    field.type = static_cast<WireType>(key & 7);
    field.value = 0;
    field.bytes = {};
    switch (field.type) {
        case WireType::varint:
            field.value = varint();
            break;
        case WireType::fixed64:
        case WireType::fixed32: {
            const std::size_t n = field.type == WireType::fixed64 ? 8 : 4;
            if (data_.size() - pos_ < n) malformed("fixed-size field cut short", pos_);
            for (std::size_t i = 0; i < n; ++i) {
                field.value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
            }
            pos_ += n;
            break;
        }
        case WireType::length_delimited: {
            const uint64_t length = varint();
            if (length > data_.size() - pos_) malformed("length past the end of the message", pos_);
            field.bytes = data_.substr(pos_, static_cast<std::size_t>(length));
            pos_ += static_cast<std::size_t>(length);
            break;
        }
        default:
            malformed("unsupported wire type", start);
    }
    field.encoded = data_.substr(start, pos_ - start);
    return true;
}

void WireWriter::raw_varint(uint64_t value) {
    while (value >= 0x80) {
        out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
}

void WireWriter::key(uint32_t number, WireType type) {
    raw_varint((static_cast<uint64_t>(number) << 3) | static_cast<uint32_t>(type));
}

void WireWriter::varint_field(uint32_t number, uint64_t value) {
    key(number, WireType::varint);
    raw_varint(value);
}

void WireWriter::float_field(uint32_t number, float value) {
    key(number, WireType::fixed32);
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void WireWriter::bytes_field(uint32_t number, std::string_view bytes) {
    key(number, WireType::length_delimited);
    raw_varint(bytes.size());
    out_.append(bytes);
}

}  // namespace edgembed::protobuf_wire
