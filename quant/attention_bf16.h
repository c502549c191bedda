// The two matrix products of attention in bf16 with f32 accumulation (AVX512-BF16 vdpbf16ps), for the
// int8 runtime: per (text, head), S = Q K^T before the softmax and O = P V after it. Inputs are rounded
// to bf16 (8-bit mantissa) as they are packed; products and sums stay in f32. About twice the f32 FMA
// rate where the CPU has AVX512-BF16 (Zen 4 / 5, Cooper Lake, Sapphire Rapids and later).
//
// The kernels live in quant/arch/attention_bf16_avx512.cpp (compiled with that ISA's flags, defining
// nothing but these functions); call them only when bf16_attention_available().
#pragma once

#include <cstddef>

namespace edgembed::quant {

// The CPU has AVX512-BF16 (and the OS saves the zmm state).
bool bf16_attention_available() noexcept;

// bytes of scratch bf16_attention_scores / bf16_attention_context need for `length` tokens and head
// dimension d (even).
size_t bf16_attention_scratch_bytes(size_t length, size_t d);

#if defined(EDGEMBED_HAVE_X86_KERNELS)
// s[i * ld_s + j] = sum_c bf16(q[i * ld + c]) * bf16(k[j * ld + c]) for i, j < length, c < d (d even).
void bf16_attention_scores(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch);
// out[i * ld_out + c] = sum_j bf16(p[i * ld_p + j]) * bf16(v[j * ld_v + c]) for i, j < length, c < d.
void bf16_attention_context(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
                            float* out, size_t ld_out, void* scratch);
#endif

}  // namespace edgembed::quant
