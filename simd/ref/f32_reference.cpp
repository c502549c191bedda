// The scalar ISA's kernels. Those whose results feed int8 quantization give the vector ISAs' bits: the row
// kernels (f32_row_kernels.hpp, bf16_attention) are the generic ones on scalar_arch, dequantization and the
// f32_gemm_packed / f32_gemm_nn chains repeat the vector kernels' float operations (std::fma where those fuse).
// f32_gemm_nt accumulates in double.
// The tests hold them, like every ISA's, to the double-precision oracles of tests/simd/kernel_oracles.h.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "simd/f16.h"
#include "simd/f32_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd {
namespace {

void ref_f32_add(const float* a, const float* b, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void ref_f32_max(const float* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i] > y[i] || std::isnan(x[i]) ? x[i] : y[i];
}

void ref_f32_scale(const float* x, float s, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i] * s;
}

void ref_f32_round_bf16(const float* x, float* y, size_t n) { round_to_bf16(x, y, n); }

void ref_f32_add_products_f64(const float* x, size_t rows, size_t k, const float* w, size_t ldw, float* y, size_t n) {
    for (size_t r = 0; r < rows; ++r)
        for (size_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (size_t c = 0; c < k; ++c) sum += static_cast<double>(x[r * k + c]) * static_cast<double>(w[c * ldw + j]);
            y[r * n + j] = static_cast<float>(static_cast<double>(y[r * n + j]) + sum);
        }
}

float ref_f32_quantize_qu8(const float* x, size_t n, uint8_t* q, int32_t* zero_point) {
    float lo = 0.0f, hi = 0.0f;
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) {
            *zero_point = 0;
            for (size_t k = 0; k < n; ++k) q[k] = 0;
            return std::numeric_limits<float>::quiet_NaN();
        }
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    const float scale = (hi - lo) / 255.0f;
    if (!std::isnormal(scale)) {
        *zero_point = 0;
        for (size_t i = 0; i < n; ++i) q[i] = 0;
        return scale;
    }
    const float inv = 1.0f / scale;
    const int32_t zp = static_cast<int32_t>(std::nearbyint(-lo * inv));
    *zero_point = zp;
    for (size_t i = 0; i < n; ++i) {
        const int32_t v = static_cast<int32_t>(std::nearbyint(x[i] * inv)) + zp;
        q[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    return scale;
}

// The vector kernels' float arithmetic, in their order (no fma), so that the scalar ISA gives their bits.
void ref_s32_dequantize(const int32_t* acc, int32_t zero_point, const int32_t* col_sums, float row_scale,
                        const float* col_scales, const float* bias, const float* residual, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(acc[i]) -
                                               static_cast<uint32_t>(zero_point) * static_cast<uint32_t>(col_sums[i]));
        y[i] = (static_cast<float>(a) * (row_scale * col_scales[i]) + (bias ? bias[i] : 0.0f)) +
               (residual ? residual[i] : 0.0f);
    }
}

// C = (accumulate ? C : 0) + alpha * A B, B's element (p, j) at b[p * b_row + j * b_col].
void ref_gemm(const float* a, size_t lda, const float* b, size_t b_row, size_t b_col, float alpha, int accumulate,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (size_t p = 0; p < k; ++p) sum += static_cast<double>(a[i * lda + p]) * b[p * b_row + j * b_col];
            const float v = static_cast<float>(alpha * sum);
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + v : v;
        }
}

void ref_f32_gemm_nt(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                     size_t ldc, size_t m, size_t n, size_t k) {
    ref_gemm(a, lda, b, 1, ldb, alpha, accumulate, c, ldc, m, n, k);
}

// A float chain of fused multiply-adds over k in order, then alpha: the vector kernels' arithmetic on FMA ISAs
// (their outputs are such chains too), so that bf16 attention's emulation gives the same bits on the scalar ISA.
void ref_f32_gemm_nn(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                     size_t ldc, size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            float sum = 0.0f;
            for (size_t p = 0; p < k; ++p) sum = std::fma(a[i * lda + p], b[p * ldb + j], sum);
            const float v = sum * alpha;
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + v : v;
        }
}

// Packed weights for the reference: panels of 4 columns, [k][4] each, zero-padded.
constexpr size_t kRefPanelWidth = 4;

size_t ref_f32_packed_panel_width() { return kRefPanelWidth; }

void ref_f32_pack_panels(const float* w, size_t n, size_t k, float* packed) {
    for (size_t first = 0; first < n; first += kRefPanelWidth, packed += k * kRefPanelWidth)
        for (size_t p = 0; p < k; ++p)
            for (size_t j = 0; j < kRefPanelWidth; ++j)
                packed[p * kRefPanelWidth + j] = first + j < n ? w[(first + j) * k + p] : 0.0f;
}

// A float chain of fused multiply-adds from the bias, k in order: the vector kernels' arithmetic on FMA
// ISAs (AVX2, AVX-512, NEON), so that outputs match theirs bit for bit.
void ref_f32_gemm_packed(const float* a, size_t lda, const float* packed, const float* bias, int accumulate, float* c,
                         size_t ldc, size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            const float* panel = packed + (j / kRefPanelWidth) * kRefPanelWidth * k;
            float sum = bias ? bias[j] : 0.0f;
            for (size_t p = 0; p < k; ++p) sum = std::fma(a[i * lda + p], panel[p * kRefPanelWidth + j % kRefPanelWidth], sum);
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
        }
}

void ref_f16_to_f32(const uint16_t* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = f16_to_f32_scalar(x[i]);
}


// Attention row by row and head by head: every logit of the row's key range in double, then the softmax and
// the sum.
void ref_f32_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                       float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d, size_t heads,
                       float* out, size_t ldo) {
    if (heads > 1) {  // each head's query rows are read before its output rows are written, so in place holds
        for (size_t head = 0; head < heads; ++head)
            ref_f32_attention(q + head * d, ldq, k, v, ldkv, bias, scale, first, m, keys, before, after, d, 1, out + head * d, ldo);
        return;
    }
    std::vector<double> logits, sum(d);
    for (size_t r = 0; r < m; ++r) {
        const size_t i = first + r, lo = i - std::min(before, i), hi = keys - i - 1 <= after ? keys : i + after + 1;
        logits.assign(hi - lo, 0.0);
        double max = -std::numeric_limits<double>::infinity();
        for (size_t j = lo; j < hi; ++j) {
            double dot = 0.0;
            for (size_t c = 0; c < d; ++c) dot += static_cast<double>(q[r * ldq + c]) * k[j * ldkv + c];
            if (bias) dot += bias[static_cast<ptrdiff_t>(j) - static_cast<ptrdiff_t>(i)];
            logits[j - lo] = dot * scale;
            max = std::max(max, logits[j - lo]);
        }
        double total = 0.0;
        std::fill(sum.begin(), sum.end(), 0.0);
        for (size_t j = lo; j < hi; ++j) {
            const double p = std::exp(logits[j - lo] - max);
            total += p;
            for (size_t c = 0; c < d; ++c) sum[c] += p * v[j * ldkv + c];
        }
        for (size_t c = 0; c < d; ++c) out[r * ldo + c] = static_cast<float>(sum[c] / total);
    }
}

}  // namespace

void fill_kernels_reference(Kernels& k) {
#define EDGEMBED_KERNEL(name, ret, params) k.name = &ref_##name;
#define EDGEMBED_ROW_KERNEL(name, ret, params) k.name = &generic::name<generic::scalar_arch>;
#include "simd/kernel_list.inc"
#undef EDGEMBED_ROW_KERNEL
#undef EDGEMBED_KERNEL
}

}  // namespace edgembed::simd
