#include "quant/attention_bf16.h"

#include <cstdint>

#include "simd/isa.h"
#include "simd/kernels.h"

namespace edgembed::quant {

namespace {

size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

float bf16_value(float f) {
    const uint32_t u = static_cast<uint32_t>(f32_to_bf16(f)) << 16;
    float r;
    std::memcpy(&r, &u, sizeof r);
    return r;
}

// Position c of the emulated k order holds term c ^ 1: vdpbf16ps adds a pair's odd term first.
constexpr size_t swapped(size_t c) { return c ^ 1; }

// The emulation: C[rows, cols] = A B^T over k (even) terms on the simd kernel f32_gemm_packed, with
// a(i, c) and b(j, c) the bf16 values of A's and B's elements (zero past `terms`), k in the swapped
// order. `a_at(i, c)` / `b_at(j, c)` read the f32 inputs; the rounded copies go into scratch.
template <class A, class B>
void emulated_product(A a_at, B b_at, size_t rows, size_t cols, size_t k, size_t terms, float* out, size_t ld_out,
                      void* scratch) {
    const simd::Kernels& kernels = simd::kernels();
    const size_t width = kernels.f32_packed_panel_width();
    float* a = static_cast<float*>(scratch);  // [rows][k]
    float* packed = a + rows * k;              // panels of `width` columns, [k][width] each
    for (size_t i = 0; i < rows; ++i)
        for (size_t c = 0; c < k; ++c) a[i * k + c] = swapped(c) < terms ? bf16_value(a_at(i, swapped(c))) : 0.0f;
    for (size_t first = 0; first < cols; first += width) {
        float* panel = packed + first * k;
        for (size_t c = 0; c < k; ++c)
            for (size_t j = 0; j < width; ++j)
                panel[c * width + j] =
                    first + j < cols && swapped(c) < terms ? bf16_value(b_at(first + j, swapped(c))) : 0.0f;
    }
    kernels.f32_gemm_packed(a, k, packed, nullptr, 0, out, ld_out, rows, cols, k);
}

size_t emulation_floats(size_t rows, size_t cols, size_t k) {
    return rows * k + up(cols, simd::kernels().f32_packed_panel_width()) * k;
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
    const size_t keys2 = up(length, 2);
    const size_t emulated_scores = emulation_floats(length, length, d), emulated_context = emulation_floats(length, d, keys2);
    const size_t emulated = (emulated_scores > emulated_context ? emulated_scores : emulated_context) * sizeof(float);
    return hardware > emulated ? hardware : emulated;
}

void bf16_attention_scores(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    if (bf16_attention_hardware()) return bf16_attention_scores_avx512bf16(q, k, ld, length, d, s, ld_s, scratch);
#endif
    emulated_product([&](size_t i, size_t c) { return q[i * ld + c]; }, [&](size_t j, size_t c) { return k[j * ld + c]; },
                     length, length, d, d, s, ld_s, scratch);
}

void bf16_attention_context(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
                            float* out, size_t ld_out, void* scratch) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    if (bf16_attention_hardware())
        return bf16_attention_context_avx512bf16(p, ld_p, v, ld_v, length, d, out, ld_out, scratch);
#endif
    emulated_product([&](size_t i, size_t j) { return p[i * ld_p + j]; }, [&](size_t c, size_t j) { return v[j * ld_v + c]; },
                     length, d, up(length, 2), length, out, ld_out, scratch);
}

}  // namespace edgembed::quant
