// The protobuf wire format, as far as SentencePiece's ModelProto needs it: varints, 32-bit fixed (float)
// and length-delimited fields (strings, bytes, sub-messages). No protobuf headers are installed, and the
// sentencepiece library does not expose its ModelProto: the runtime reads the few settings it needs with
// WireReader, and the converter writes a ModelProto with WireWriter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgembed::protobuf_wire {

enum class WireType : uint32_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

struct Field {
    uint32_t number = 0;
    WireType type = WireType::varint;
    uint64_t value = 0;         // varint / fixed32 / fixed64 value
    std::string_view bytes;     // length-delimited payload
    std::string_view encoded;   // the whole field (key, length and payload) as it stands in the message
};

// Walks the fields of one message. next() returns false at the end; it throws std::runtime_error naming
// the offset on a malformed message (bad varint, field number 0, group wire types, a length past the end).
class WireReader {
public:
    explicit WireReader(std::string_view message) : data_(message) {}
    bool next(Field& field);

private:
    uint64_t varint();
    std::string_view data_;
    std::size_t pos_ = 0;
};

class WireWriter {
public:
    void varint_field(uint32_t number, uint64_t value);
    void bool_field(uint32_t number, bool value) { varint_field(number, value ? 1 : 0); }
    // int32 fields: negative values take 10 bytes, as protobuf writes them.
    void int32_field(uint32_t number, int32_t value) {
        varint_field(number, static_cast<uint64_t>(static_cast<int64_t>(value)));
    }
    void float_field(uint32_t number, float value);
    void bytes_field(uint32_t number, std::string_view bytes);  // strings, bytes and sub-messages
    const std::string& data() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void key(uint32_t number, WireType type);
    void raw_varint(uint64_t value);
    std::string out_;
};

}  // namespace edgembed::protobuf_wire
