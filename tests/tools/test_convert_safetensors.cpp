// The safetensors reader (tools/convert/safetensors.h) on valid and hostile files, and the f16 / bf16
// widening it relies on.
#include "tools/convert/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "tests/tools/test_convert_util.h"

namespace edgembed::convert {
namespace {

using namespace edgembed::convert::testing;

// Reads `bytes` as model.safetensors and expects a refusal whose message contains `fragment`.
void expect_corrupt(const std::string& bytes, const std::string& fragment) {
    TempDir dir;
    write_file(dir / "model.safetensors", bytes);
    try {
        read_safetensors(dir / "model.safetensors");
        ADD_FAILURE() << "accepted a corrupt file, expected: " << fragment;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_checkpoint) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what() << "\nexpected: " << fragment;
        EXPECT_EQ(std::string(e.what()).rfind("model.safetensors: ", 0), 0u) << e.what();
    }
}

std::string entry(const std::string& dtype, const std::vector<int64_t>& shape, uint64_t begin, uint64_t end) {
    return json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}}.dump();
}

TEST(Safetensors, ReadsUnsortedTensorsWithGaps) {
    TempDir dir;
    const std::vector<float> a = {1.5f, -2.0f, 3.25f};
    const std::vector<uint16_t> b = {0x3c00, 0xc000};  // f16 1, -2
    const std::vector<uint16_t> c = {0x3f80};          // bf16 1
    const std::vector<int64_t> ids = {0, 1, 2, 3};
    // Data: [8 bytes gap][ids 32][b 4][a 12][c 2], listed out of order.
    std::string data = std::string(8, '\x7f') + raw_bytes(ids) + raw_bytes(b) + raw_bytes(a) + raw_bytes(c);
    const std::string header = "{\"a\":" + entry("F32", {3}, 44, 56) + ",\"ids\":" + entry("I64", {1, 4}, 8, 40) +
                               ",\"__metadata__\":{\"format\":\"pt\"},\"b\":" + entry("F16", {2, 1}, 40, 44) +
                               ",\"c\":" + entry("BF16", {1}, 56, 58) + ",\"empty\":" + entry("F32", {0, 3}, 58, 58) + "}";
    write_file(dir / "x.safetensors", safetensors_raw(header, data));
    const TensorSet set = read_safetensors(dir / "x.safetensors");
    ASSERT_EQ(set.size(), 5u);
    EXPECT_EQ(to_f32(*set.find("a")), a);
    EXPECT_EQ(to_f32(*set.find("b")), (std::vector<float>{1.0f, -2.0f}));
    EXPECT_EQ(set.find("b")->shape, (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(to_f32(*set.find("c")), std::vector<float>{1.0f});
    EXPECT_EQ(set.find("ids")->dtype, SourceDType::i64);
    EXPECT_EQ(set.find("empty")->nbytes, 0u);
    EXPECT_EQ(set.find("a")->file, "x.safetensors");
    EXPECT_THROW(to_f32(*set.find("ids")), Error);
}

TEST(Safetensors, RefusesTruncatedFiles) {
    expect_corrupt("", "truncated: 0 bytes");
    expect_corrupt(std::string("\x10\0\0", 3), "truncated: 3 bytes");
    const std::string good = safetensors_bytes({{"w", "F32", {2}, raw_bytes(std::vector<float>{1, 2})}});
    expect_corrupt(good.substr(0, 20), "truncated: the header needs");
    expect_corrupt(good.substr(0, good.size() - 1), "tensor 'w' has data_offsets [0,8] outside the data section of 7 bytes");
}

TEST(Safetensors, RefusesAHugeHeaderLength) {
    std::string bytes(8, '\0');
    const uint64_t n = kMaxSafetensorsHeaderBytes + 1;
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    expect_corrupt(bytes + "{}", "header length 104857601 exceeds the limit of 104857600 bytes");
    for (int i = 0; i < 8; ++i) bytes[i] = '\xff';
    expect_corrupt(bytes + "{}", "exceeds the limit");
}

TEST(Safetensors, RefusesBadJson) {
    expect_corrupt(safetensors_raw("{\"w\": {\"dtype\": \"F32\",", ""), "header is not valid JSON");
    expect_corrupt(safetensors_raw("[1, 2]", ""), "header is not a JSON object");
    expect_corrupt(safetensors_raw("{\"w\": 3}", ""), "tensor 'w': header entry is not an object");
    expect_corrupt(safetensors_raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", std::string(4, '\0')),
                   "tensor 'w': header entry has no 'data_offsets'");
    expect_corrupt(safetensors_raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", std::string(4, '\0')),
                   "tensor 'w': shape has a dimension that is not a non-negative integer");
    expect_corrupt(safetensors_raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", std::string(4, '\0')),
                   "tensor 'w': data_offsets must be two non-negative integers");
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F32", {1}, 0, 4) + ",\"w\":" + entry("F32", {1}, 4, 8) + "}", std::string(8, '\0')),
                   "tensor 'w' is listed twice in the header");
}

TEST(Safetensors, RefusesUnsupportedDtypes) {
    for (const char* dtype : {"F64", "I32", "BOOL", "U8", "F8_E4M3", "f32"})
        expect_corrupt(safetensors_raw("{\"w\":" + entry(dtype, {1}, 0, 8) + "}", std::string(8, '\0')),
                       std::string("tensor 'w' has unsupported dtype '") + dtype + "' (accepted: F32, F16, BF16, I64)");
}

TEST(Safetensors, RefusesOffsetsOutOfBounds) {
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F32", {2}, 4, 12) + "}", std::string(8, '\0')),
                   "tensor 'w' has data_offsets [4,12] outside the data section of 8 bytes");
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F32", {0}, 8, 4) + "}", std::string(8, '\0')),
                   "tensor 'w' has data_offsets [8,4] outside the data section");
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F32", {1}, 0, 18446744073709551615ull) + "}", std::string(8, '\0')),
                   "outside the data section");
}

TEST(Safetensors, RefusesShapesThatDisagreeWithOffsets) {
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F32", {3}, 0, 8) + "}", std::string(8, '\0')),
                   "tensor 'w' has shape [3] of F32 (3 elements) but data_offsets span 8 bytes");
    expect_corrupt(safetensors_raw("{\"w\":" + entry("F16", {4611686018427387904, 4}, 0, 8) + "}", std::string(8, '\0')),
                   "absurdly large shape");
}

TEST(Safetensors, RefusesOverlappingTensors) {
    expect_corrupt(safetensors_raw("{\"a\":" + entry("F32", {2}, 0, 8) + ",\"b\":" + entry("F32", {2}, 4, 12) + "}", std::string(12, '\0')),
                   "tensors 'a' and 'b' overlap in the data section");
    // Containment, listed in the other order.
    expect_corrupt(safetensors_raw("{\"inner\":" + entry("F32", {1}, 4, 8) + ",\"outer\":" + entry("F32", {4}, 0, 16) + "}",
                                   std::string(16, '\0')),
                   "tensors 'outer' and 'inner' overlap");
    // Same range twice (an aliasing trick).
    expect_corrupt(safetensors_raw("{\"a\":" + entry("F32", {2}, 0, 8) + ",\"b\":" + entry("F32", {2}, 0, 8) + "}", std::string(8, '\0')),
                   "overlap");
}

TEST(Safetensors, MissingFileIsFileNotFound) {
    TempDir dir;
    try {
        read_safetensors(dir / "absent.safetensors");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::file_not_found);
    }
}

TEST(HalfFloats, F16ToF32) {
    EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
    EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
    EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
    EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
    EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
    EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
    EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));         // smallest normal
    EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));         // smallest subnormal
    EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));      // largest subnormal
    EXPECT_EQ(f16_to_f32(0x8200), -std::ldexp(512.0f, -24));
    EXPECT_EQ(f16_to_f32(0x7c00), INFINITY);
    EXPECT_EQ(f16_to_f32(0xfc00), -INFINITY);
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
    // Every finite half round-trips through the exact helper of the tests.
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = f16_to_f32(static_cast<uint16_t>(h));
        if (!std::isfinite(f) || (h & 0x7c00) == 0) continue;  // skip Inf/NaN and subnormals (not handled by the helper)
        ASSERT_EQ(f32_to_f16_exact(f), h) << h;
    }
}

TEST(HalfFloats, Bf16ToF32) {
    EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
    EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
    EXPECT_EQ(bf16_to_f32(0x7f80), INFINITY);
    EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
    EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));
}

}  // namespace
}  // namespace edgembed::convert
