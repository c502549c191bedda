// f32 -> bf16 rounding as vcvtneps2bf16 does it (AVX512-BF16): to nearest even, a NaN stays a (quiet) NaN,
// denormals become zeros of their sign. The definition behind bf16 attention's inputs on every ISA
// (quant/attention_bf16.h, simd bf16_attention). Static: each file compiles its own copy with its own ISA
// flags (the one copy of an inline function that the linker keeps could be another ISA file's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgembed::simd {

static inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
    if ((u & 0x7f800000u) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

// y = x rounded to bf16 and back (f32_to_bf16's rounding), branch-free so that the compiler vectorizes it.
// In place allowed.
static inline void round_to_bf16(const float* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        uint32_t u;
        std::memcpy(&u, &x[i], sizeof u);
        const uint32_t magnitude = u & 0x7fffffffu;
        const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
        const uint32_t nan = (u | 0x00400000u) & 0xffff0000u;
        const uint32_t r = magnitude > 0x7f800000u ? nan : (u & 0x7f800000u) == 0 ? (u & 0x80000000u) : rounded;
        std::memcpy(&y[i], &r, sizeof r);
    }
}

}  // namespace edgembed::simd
