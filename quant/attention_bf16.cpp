#include "quant/attention_bf16.h"

#include <cstdint>

#include "simd/bf16.h"
#include "simd/isa.h"
#include "simd/kernels.h"

namespace edgembed::quant {

namespace {

size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// The emulation of the scores: out[i, j] = sum over c < k, in order, of a(i, c) b(j, c) with both rounded to
// bf16, on the simd kernel f32_gemm_packed (its outputs are chains of multiply-adds over c in order, on every
// ISA). B's rows are rounded and packed into the kernel's panels (layout: simd/kernel_list.inc).
void emulated_scores(const float* a, size_t lda, size_t rows, const float* b, size_t ldb, size_t cols, size_t k,
                     float* out, size_t ld_out, void* scratch) {
    const simd::Kernels& kernels = simd::kernels();
    const size_t width = kernels.f32_packed_panel_width();
    float* a_rounded = static_cast<float*>(scratch);  // [rows][k]
    float* packed = a_rounded + rows * k;              // panels of `width` columns, [k][width] each
    float* row = packed + up(cols, width) * k;         // one of B's rows
    for (size_t i = 0; i < rows; ++i) kernels.f32_round_bf16(a + i * lda, a_rounded + i * k, k);
    for (size_t j = 0; j < up(cols, width); ++j) {
        float* panel = packed + j / width * width * k;
        if (j < cols) kernels.f32_round_bf16(b + j * ldb, row, k);
        for (size_t c = 0; c < k; ++c) panel[c * width + j % width] = j < cols ? row[c] : 0.0f;
    }
    kernels.f32_gemm_packed(a_rounded, k, packed, nullptr, 0, out, ld_out, rows, cols, k);
}

// Scratch floats of emulated_scores.
size_t emulated_scores_floats(size_t rows, size_t cols, size_t k) {
    return rows * k + up(cols, simd::kernels().f32_packed_panel_width()) * k + k;
}

}  // namespace

bool bf16_attention_hardware() noexcept {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    return simd::active_isa() == simd::Isa::avx512bw && __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

size_t bf16_attention_scratch_bytes(size_t length, size_t d) {
    const size_t scores = length * d + d * up(length, 16);                     // Q rows, packed K
    const size_t context = length * up(length, 2) + up(length, 2) * up(d, 16);  // P rows, packed V
    const size_t hardware = (scores > context ? scores : context) * sizeof(uint16_t);
    const size_t scores_floats = emulated_scores_floats(length, length, d), context_floats = length * (length + d);
    const size_t emulated = (scores_floats > context_floats ? scores_floats : context_floats) * sizeof(float);
    return hardware > emulated ? hardware : emulated;
}

void bf16_attention_scores(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    if (bf16_attention_hardware()) return bf16_attention_scores_avx512bf16(q, k, ld, length, d, s, ld_s, scratch);
#endif
    emulated_scores(q, ld, length, k, ld, length, d, s, ld_s, scratch);
}

void bf16_attention_context(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
                            float* out, size_t ld_out, void* scratch) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    if (bf16_attention_hardware())
        return bf16_attention_context_avx512bf16(p, ld_p, v, ld_v, length, d, out, ld_out, scratch);
#endif
    // On f32_gemm_nn (outputs also chains of multiply-adds in order), which reads V's rows as they are: no
    // panels to pad to their width (d = 32 would fill 2 of AVX2's 24-column panels by two thirds).
    float* p_rounded = static_cast<float*>(scratch);  // [length][length]
    float* v_rounded = p_rounded + length * length;    // [length][d]
    const simd::Kernels& kernels = simd::kernels();
    for (size_t i = 0; i < length; ++i) kernels.f32_round_bf16(p + i * ld_p, p_rounded + i * length, length);
    for (size_t j = 0; j < length; ++j) kernels.f32_round_bf16(v + j * ld_v, v_rounded + j * d, d);
    kernels.f32_gemm_nn(p_rounded, length, v_rounded, d, 1.0f, 0, out, ld_out, length, d, length);
}

void bf16_tiled_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                          float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d,
                          size_t heads, float* out, size_t ldo) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    if (bf16_attention_hardware())
        return bf16_tiled_attention_avx512bf16(q, ldq, k, v, ldkv, bias, scale, first, m, keys, before, after, d, heads, out, ldo);
#endif
    simd::kernels().bf16_attention(q, ldq, k, v, ldkv, bias, scale, first, m, keys, before, after, d, heads, out, ldo);
}

}  // namespace edgembed::quant
