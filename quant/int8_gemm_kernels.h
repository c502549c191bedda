// The project's own int8 GEMM micro-kernels (quant/arch/<kernel>_<isa>.cpp, each compiled with its ISA's
// flags) and the Int8Gemm back ends built on them (quant/int8_gemm_x86.cpp, quant/int8_gemm_neon.cpp).
// Internal to quant/: include quant/int8_gemm.h for the public interface.
//
// Every kernel computes C[m, n] = sum_k A[m, k] * W[n, k] exactly in int32 (no intermediate saturates for
// any int8 input; the int32 sums themselves need k < 2^31 / 2^15 = 65536). W is repacked once, at
// construction, into the kernel's tile layout (zero-padded in n and k); A is read in place, row-major
// [m, k], never past its end; C is row-major [m, n] and only its m x n entries are written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "quant/int8_gemm.h"

namespace edgembed::quant {

// Weights in a kernel's layout. Only the kernel that packed them reads `data`.
struct PackedInt8Weights {
    std::vector<int8_t> data;
    size_t n = 0, k = 0;
};

inline size_t round_up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// u8 -> s8 by subtracting 128 (an XOR of the top bit), in place: the back ends that run s8 x s8 report
// activation_offset() == 128.
inline void u8_to_s8_inplace(uint8_t* a, size_t count) {
    for (size_t i = 0; i < count; ++i) a[i] ^= 0x80;
}

#if defined(EDGEMBED_HAVE_X86_KERNELS)
// AVX2: int8 sign-extended to int16, vpmaddwd (a sum of two int8 x int8 products is exact in int32).
// Tiles of 4 rows x 16 output channels; W packed in blocks of 16 channels x 2 k.
PackedInt8Weights s8_gemm_s32_avx2_pack(const int8_t* w, size_t n, size_t k);
void s8_gemm_s32_avx2(const int8_t* a, size_t m, const PackedInt8Weights& w, int32_t* c);

// AVX512-VNNI: vpdpbusd, u8 activations as they are (offset 0) x s8 weights, four products per int32 lane
// (the non-saturating form). Tiles of 8 rows x 32 output channels; W packed in blocks of 32 channels x 4 k.
PackedInt8Weights u8s8_gemm_s32_avx512vnni_pack(const int8_t* w, size_t n, size_t k);
void u8s8_gemm_s32_avx512vnni(const uint8_t* a, size_t m, const PackedInt8Weights& w, int32_t* c);

// Back ends (quant/int8_gemm_x86.cpp): nullptr when the CPU lacks the instructions (the ISA cap is the
// caller's business).
std::unique_ptr<Int8Gemm> make_int8_gemm_avx2(const int8_t* w, size_t n, size_t k);
std::unique_ptr<Int8Gemm> make_int8_gemm_avx512vnni(const int8_t* w, size_t n, size_t k);
bool cpu_has_avx512vnni() noexcept;
#endif

#if defined(EDGEMBED_HAVE_NEON_KERNELS)
// Armv8.0 NEON: vmull_s8 (int16 products) + vpadalq_s16 (pairwise into int32); never vmlal_s8, whose int16
// sum of two products overflows at (-128)^2 + (-128)^2. Tiles of 4 rows x 4 channels; W in blocks of
// 4 channels x 16 k.
PackedInt8Weights s8_gemm_s32_neon_pack(const int8_t* w, size_t n, size_t k);
void s8_gemm_s32_neon(const int8_t* a, size_t m, const PackedInt8Weights& w, int32_t* c);

// Armv8.2 dot product: sdot by lane (vdotq_laneq_s32). Tiles of 4 rows x 16 channels; W in blocks of
// 16 channels x 4 k. Call only when simd::cpu_has_arm_dotprod().
PackedInt8Weights s8_gemm_s32_neondot_pack(const int8_t* w, size_t n, size_t k);
void s8_gemm_s32_neondot(const int8_t* a, size_t m, const PackedInt8Weights& w, int32_t* c);

// Back ends (quant/int8_gemm_neon.cpp): nullptr when the CPU lacks the instructions.
std::unique_ptr<Int8Gemm> make_int8_gemm_neon(const int8_t* w, size_t n, size_t k);
std::unique_ptr<Int8Gemm> make_int8_gemm_neondot(const int8_t* w, size_t n, size_t k);
#endif

}  // namespace edgembed::quant
