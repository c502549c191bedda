// The two matrix products of attention in bf16 with f32 accumulation, for the int8 runtime: per (text,
// head), S = Q K^T before the softmax and O = P V after it. Inputs are rounded to bf16 (8-bit mantissa,
// denormals flushed to zero, as vcvtneps2bf16 does); each product of two bf16 values is exact in f32, and
// each output adds them to 0 one at a time in their natural order, rounding each sum to nearest even. So
// every ISA gives the same bits: CPUs with AVX512-BF16 (Zen 4 / 5,
// Cooper Lake, Sapphire Rapids and later) run vdpbf16ps at about twice the f32 FMA rate
// (quant/arch/attention_bf16_avx512.cpp), the others the simd kernel f32_gemm_packed on the rounded
// values (an exact product makes a fused and an unfused multiply-add equal). Results that fall below
// the smallest normal float are flushed to zero by vdpbf16ps only; attention's are never that small.
// The pre-norm families' tiled attention runs the same products: bf16_tiled_attention below.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/bf16.h"

namespace edgembed::quant {

// The CPU has AVX512-BF16 (and the OS saves the zmm state) and the ISA cap allows AVX-512.
bool bf16_attention_hardware() noexcept;

// bytes of scratch bf16_attention_scores / bf16_attention_context need for `length` tokens and head
// dimension d (even).
size_t bf16_attention_scratch_bytes(size_t length, size_t d);

// s[i * ld_s + j] = sum_c bf16(q[i * ld + c]) * bf16(k[j * ld + c]) for i, j < length, c < d (d even).
void bf16_attention_scores(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch);
// out[i * ld_out + c] = sum_j bf16(p[i * ld_p + j]) * bf16(v[j * ld_v + c]) for i, j < length, c < d.
void bf16_attention_context(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
                            float* out, size_t ld_out, void* scratch);

// The tiled attention (simd f32_attention's contract, kernel_list.inc) with its two products in bf16, the same
// definition as above and the same bits on every ISA: vdpbf16ps where bf16_attention_hardware(), else the simd
// kernel bf16_attention.
void bf16_tiled_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                          float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d,
                          size_t heads, float* out, size_t ldo);

// f32 -> bf16, round to nearest even, NaN stays NaN, denormals to signed zero (as vcvtneps2bf16).
using simd::f32_to_bf16;

#if defined(EDGEMBED_HAVE_X86_KERNELS)
// The AVX512-BF16 kernels (call only when bf16_attention_hardware()); same contracts as above.
void bf16_attention_scores_avx512bf16(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                                      size_t ld_s, void* scratch);
void bf16_attention_context_avx512bf16(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length,
                                       size_t d, float* out, size_t ld_out, void* scratch);
void bf16_tiled_attention_avx512bf16(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                     const float* bias, float scale, size_t first, size_t m, size_t keys, size_t before,
                                     size_t after, size_t d, size_t heads, float* out, size_t ldo);
#endif

}  // namespace edgembed::quant
