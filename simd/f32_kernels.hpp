// The f32 kernels, written once as xsimd templates; simd/arch/<isa>.cpp instantiates them with that
// ISA's compiler flags. A tail shorter than one vector is run through the same vector code on a padded
// copy, so every element sees the same arithmetic on a given ISA. The row kernels that must give the
// same bits on every ISA (softmax, LayerNorm, GELU, sum of squares) are in f32_row_kernels.hpp, the tiled
// attention's online softmax (f32_attention, bf16_attention) in attention_tiles.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>
#include <xsimd/xsimd.hpp>

#if defined(__F16C__) || defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "simd/attention_tiles.hpp"
#include "simd/bf16.h"
#include "simd/f16.h"
#include "simd/f32_row_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd::generic {

template <class Arch>
using fbatch = xsimd::batch<float, Arch>;

// Loads n < W elements into a batch padded with `fill`.
template <class Arch>
inline fbatch<Arch> load_tail(const float* x, size_t n, float fill) {
    alignas(64) float buffer[fbatch<Arch>::size];
    for (size_t i = 0; i < fbatch<Arch>::size; ++i) buffer[i] = i < n ? x[i] : fill;
    return fbatch<Arch>::load_aligned(buffer);
}

template <class Arch>
inline void store_tail(fbatch<Arch> v, float* y, size_t n) {
    alignas(64) float buffer[fbatch<Arch>::size];
    v.store_aligned(buffer);
    for (size_t i = 0; i < n; ++i) y[i] = buffer[i];
}

// Stores v's first count (<= W) lanes to y, adding y's values first when accumulating.
template <class Arch>
inline void store_lanes(fbatch<Arch> v, float* y, size_t count, int accumulate) {
    if (count == fbatch<Arch>::size) {
        if (accumulate) v += fbatch<Arch>::load_unaligned(y);
        v.store_unaligned(y);
    } else {
        if (accumulate) v += load_tail<Arch>(y, count, 0.0f);
        store_tail<Arch>(v, y, count);
    }
}

// Applies op(batch) -> batch over x into y.
template <class Arch, class Op>
inline void map(const float* x, float* y, size_t n, Op op) {
    constexpr size_t W = fbatch<Arch>::size;
    size_t i = 0;
    for (; i + W <= n; i += W) op(fbatch<Arch>::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) store_tail<Arch>(op(load_tail<Arch>(x + i, n - i, 0.0f)), y + i, n - i);
}

// a * b + c rounded once: xsimd::fma, except on AVX-512, where xsimd 8.1 has no fma of its own and its
// generic one multiplies and adds (this library builds with -ffp-contract=off). SSE2 has no FMA: there it
// rounds twice.
template <class Arch>
inline fbatch<Arch> fused_multiply_add(fbatch<Arch> a, fbatch<Arch> b, fbatch<Arch> c) {
#if defined(__AVX512F__)
    if constexpr (fbatch<Arch>::size == 16) return fbatch<Arch>(_mm512_fmadd_ps(a, b, c));
#endif
    return xsimd::fma(a, b, c);
}

template <class Arch>
inline float reduce_sum(fbatch<Arch> v) { return xsimd::hadd(v); }

// out[i] = the sum of v[i]'s lanes, for i < N: W at a time through xsimd::haddp. On AVX-512 each
// vector is first folded to 256 bits and AVX2's haddp does 8 at a time, because xsimd 8.1's
// AVX-512 haddp returns wrong sums.
template <class Arch, size_t N>
inline void lane_sums(const fbatch<Arch>* v, float* out) {
    constexpr size_t W = fbatch<Arch>::size;
#if defined(__AVX512F__)
    if constexpr (W == 16) {
        using Half = xsimd::batch<float, xsimd::avx2>;
        for (size_t g = 0; g < N; g += 8) {
            alignas(64) Half folded[8];
            for (size_t i = 0; i < 8; ++i) {
                if (g + i >= N) { folded[i] = Half(0.0f); continue; }
                const __m512 x = v[g + i];
                folded[i] = _mm256_add_ps(_mm512_castps512_ps256(x),
                                          _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
            }
            alignas(32) float sums[8];
            xsimd::haddp(folded).store_aligned(sums);
            for (size_t i = 0; i < 8 && g + i < N; ++i) out[g + i] = sums[i];
        }
        return;
    }
#endif
    for (size_t g = 0; g < N; g += W) {
        fbatch<Arch> group[W];
        for (size_t i = 0; i < W; ++i) group[i] = g + i < N ? v[g + i] : fbatch<Arch>(0.0f);
        alignas(64) float sums[W];
        xsimd::haddp(group).store_aligned(sums);
        for (size_t i = 0; i < W && g + i < N; ++i) out[g + i] = sums[i];
    }
}

template <class Arch>
void f32_add(const float* a, const float* b, float* y, size_t n) {
    using B = fbatch<Arch>;
    constexpr size_t W = B::size;
    size_t i = 0;
    for (; i + W <= n; i += W) (B::load_unaligned(a + i) + B::load_unaligned(b + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = a[i] + b[i];  // exact in any width
}

// A compare and a select rather than xsimd::max: x86's maxps returns its second operand when either is NaN
// (dropping a NaN y), NEON's vmaxq returns NaN; this gives the documented NaN on every ISA and in the tail.
template <class Arch>
void f32_max(const float* x, float* y, size_t n) {
    using B = fbatch<Arch>;
    constexpr size_t W = B::size;
    size_t i = 0;
    for (; i + W <= n; i += W) {
        const B xv = B::load_unaligned(x + i), yv = B::load_unaligned(y + i);
        xsimd::select((xv > yv) | xsimd::isnan(xv), xv, yv).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = x[i] > y[i] || std::isnan(x[i]) ? x[i] : y[i];
}

template <class Arch>
void f32_scale(const float* x, float s, float* y, size_t n) {
    using B = fbatch<Arch>;
    map<Arch>(x, y, n, [&](B v) { return v * B(s); });
}

template <class Arch>
void f32_round_bf16(const float* x, float* y, size_t n) {
    map<Arch>(x, y, n, [](fbatch<Arch> v) { return Part<Arch>::round_to_bf16(v); });
}

template <class Arch>
float f32_quantize_qu8(const float* x, size_t n, uint8_t* q, int32_t* zero_point) {
    using B = fbatch<Arch>;
    using I = xsimd::batch<int32_t, Arch>;
    constexpr size_t W = B::size;
    // finite: the sum of v - v, which is 0 for finite values and NaN for NaN and Inf. (NaN would also
    // upset min / max: x86's minps drops it, and the values before it in its lane with it.)
    B vlo(0.0f), vhi(0.0f), finite(0.0f);
    size_t i = 0;
    for (; i + W <= n; i += W) {
        const B v = B::load_unaligned(x + i);
        vlo = xsimd::min(vlo, v);
        vhi = xsimd::max(vhi, v);
        finite += v - v;
    }
    if (i < n) {
        const B v = load_tail<Arch>(x + i, n - i, 0.0f);
        vlo = xsimd::min(vlo, v);
        vhi = xsimd::max(vhi, v);
        finite += v - v;
    }
    if (std::isnan(reduce_sum<Arch>(finite))) {
        *zero_point = 0;
        for (size_t k = 0; k < n; ++k) q[k] = 0;
        return std::numeric_limits<float>::quiet_NaN();
    }
    alignas(64) float lo_lanes[W], hi_lanes[W];
    vlo.store_aligned(lo_lanes);
    vhi.store_aligned(hi_lanes);
    float lo = 0.0f, hi = 0.0f;
    for (size_t k = 0; k < W; ++k) {
        lo = lo_lanes[k] < lo ? lo_lanes[k] : lo;
        hi = hi_lanes[k] > hi ? hi_lanes[k] : hi;
    }
    const float scale = (hi - lo) / 255.0f;
    if (!std::isnormal(scale)) {  // all zero, or a subnormal range (1/scale overflows)
        *zero_point = 0;
        for (size_t k = 0; k < n; ++k) q[k] = 0;
        return scale;
    }
    const float inv = 1.0f / scale;
    const int32_t zp = static_cast<int32_t>(std::nearbyint(-lo * inv));
    *zero_point = zp;
    const B vinv(inv);
    const I vzp(zp), vzero(0), vmax(255);
    alignas(64) int32_t ints[W];
    for (i = 0; i < n; i += W) {
        const size_t count = n - i < W ? n - i : W;
        const B v = count == W ? B::load_unaligned(x + i) : load_tail<Arch>(x + i, count, 0.0f);
        const I r = xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v * vinv) + vzp, vzero), vmax);
        r.store_aligned(ints);
        for (size_t k = 0; k < count; ++k) q[i + k] = static_cast<uint8_t>(ints[k]);
    }
    return scale;
}

template <class Arch>
void s32_dequantize(const int32_t* acc, int32_t zero_point, const int32_t* col_sums, float row_scale,
                    const float* col_scales, const float* bias, const float* residual, float* y, size_t n) {
    using B = fbatch<Arch>;
    using I = xsimd::batch<int32_t, Arch>;
    constexpr size_t W = B::size;
    const B vrow(row_scale);
    const I vzp(zero_point);
    size_t i = 0;
    auto row = [&](I a, I sums, B scales, B b, B r) {
        return (xsimd::to_float(a - vzp * sums) * (vrow * scales) + b) + r;  // no fma: the same bits on every ISA
    };
    for (; i + W <= n; i += W) {
        const B b = bias ? B::load_unaligned(bias + i) : B(0.0f);
        const B r = residual ? B::load_unaligned(residual + i) : B(0.0f);
        row(I::load_unaligned(acc + i), I::load_unaligned(col_sums + i), B::load_unaligned(col_scales + i), b, r)
            .store_unaligned(y + i);
    }
    if (i < n) {
        const size_t count = n - i;
        alignas(64) int32_t a[W] = {}, sums[W] = {};
        for (size_t k = 0; k < count; ++k) {
            a[k] = acc[i + k];
            sums[k] = col_sums[i + k];
        }
        const B b = bias ? load_tail<Arch>(bias + i, count, 0.0f) : B(0.0f);
        const B r = residual ? load_tail<Arch>(residual + i, count, 0.0f) : B(0.0f);
        store_tail<Arch>(row(I::load_aligned(a), I::load_aligned(sums), load_tail<Arch>(col_scales + i, count, 0.0f), b, r),
                         y + i, count);
    }
}

template <class Arch>
void f16_to_f32(const uint16_t* x, float* y, size_t n) {
    size_t i = 0;
#if defined(__F16C__)
    // Compiled into the avx2 / avx512bw instantiations (their files enable F16C).
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
#elif defined(__aarch64__)
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))));
#endif
    for (; i < n; ++i) y[i] = f16_to_f32_scalar(x[i]);
}

// A B^T: a tile of R rows x C columns keeps R*C accumulators that run along k (vectors of A's and B's
// rows), reduced across lanes at the end; the k tail goes through zero-padded loads.
template <class Arch, size_t R, size_t C>
inline void gemm_nt_tile(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                         size_t ldc, size_t k) {
    using Bt = fbatch<Arch>;
    constexpr size_t W = Bt::size;
    Bt acc[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C; ++j) acc[r][j] = Bt(0.0f);
    size_t p = 0;
    for (; p + W <= k; p += W) {
        Bt bv[C];
        for (size_t j = 0; j < C; ++j) bv[j] = Bt::load_unaligned(b + j * ldb + p);
        for (size_t r = 0; r < R; ++r) {
            const Bt av = Bt::load_unaligned(a + r * lda + p);
            for (size_t j = 0; j < C; ++j) acc[r][j] = fused_multiply_add<Arch>(av, bv[j], acc[r][j]);
        }
    }
    if (p < k) {
        Bt bv[C];
        for (size_t j = 0; j < C; ++j) bv[j] = load_tail<Arch>(b + j * ldb + p, k - p, 0.0f);
        for (size_t r = 0; r < R; ++r) {
            const Bt av = load_tail<Arch>(a + r * lda + p, k - p, 0.0f);
            for (size_t j = 0; j < C; ++j) acc[r][j] = fused_multiply_add<Arch>(av, bv[j], acc[r][j]);
        }
    }
    // Every tile shape reduces through lane_sums, so an output's bits do not depend on which tile
    // (or which row of a batch) computed it.
    float sums[R * C];
    lane_sums<Arch, R * C>(&acc[0][0], sums);
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C; ++j) {
            const float v = alpha * sums[r * C + j];
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + v : v;
        }
}

template <class Arch, size_t R>
inline void gemm_nt_rows(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                         size_t ldc, size_t n, size_t k) {
    // Columns per tile: 6 where there are registers for 4 x 6 accumulators (32 vector registers), else 4.
    constexpr size_t C = (fbatch<Arch>::size == 16 && R == 4) ? 6 : 4;
    size_t j = 0;
    for (; j + C <= n; j += C) gemm_nt_tile<Arch, R, C>(a, lda, b + j * ldb, ldb, alpha, accumulate, c + j, ldc, k);
    for (; j + 4 <= n; j += 4) gemm_nt_tile<Arch, R, 4>(a, lda, b + j * ldb, ldb, alpha, accumulate, c + j, ldc, k);
    for (; j < n; ++j) gemm_nt_tile<Arch, R, 1>(a, lda, b + j * ldb, ldb, alpha, accumulate, c + j, ldc, k);
}

template <class Arch>
void f32_gemm_nt(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                 size_t ldc, size_t m, size_t n, size_t k) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) gemm_nt_rows<Arch, 4>(a + i * lda, lda, b, ldb, alpha, accumulate, c + i * ldc, ldc, n, k);
    for (; i < m; ++i) gemm_nt_rows<Arch, 1>(a + i * lda, lda, b, ldb, alpha, accumulate, c + i * ldc, ldc, n, k);
}

// A B: a tile of R rows x C vectors of columns; each step broadcasts one element of each A row and
// multiplies a row of B. Columns past n go through padded loads and partial stores. Always inlined: out of
// line (GCC 12 makes it so once several kernels call f32_gemm_nn) `full` is unknown and the accumulators
// stay in memory, at half the speed.
template <class Arch, size_t R, size_t C>
[[gnu::always_inline]] inline void gemm_nn_tile(const float* a, size_t lda, const float* b, size_t ldb, float alpha,
                                                int accumulate, float* c, size_t ldc, size_t cols, size_t k) {
    using Bt = fbatch<Arch>;
    constexpr size_t W = Bt::size;
    const bool full = cols == C * W;
    Bt acc[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C; ++j) acc[r][j] = Bt(0.0f);
    for (size_t p = 0; p < k; ++p) {
        Bt bv[C];
        for (size_t j = 0; j < C; ++j) {
            const size_t first = j * W;
            bv[j] = full ? Bt::load_unaligned(b + p * ldb + first)
                         : (first < cols ? load_tail<Arch>(b + p * ldb + first, cols - first < W ? cols - first : W, 0.0f)
                                         : Bt(0.0f));
        }
        for (size_t r = 0; r < R; ++r) {
            const Bt av(a[r * lda + p]);
            for (size_t j = 0; j < C; ++j) acc[r][j] = fused_multiply_add<Arch>(av, bv[j], acc[r][j]);
        }
    }
    const Bt valpha(alpha);
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C && j * W < cols; ++j) {
            const size_t count = cols - j * W < W ? cols - j * W : W;
            store_lanes<Arch>(acc[r][j] * valpha, c + r * ldc + j * W, count, accumulate);
        }
}

template <class Arch, size_t R>
inline void gemm_nn_rows(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                         size_t ldc, size_t n, size_t k) {
    constexpr size_t W = fbatch<Arch>::size;
    size_t j = 0;
    for (; j + 2 * W <= n; j += 2 * W)
        gemm_nn_tile<Arch, R, 2>(a, lda, b + j, ldb, alpha, accumulate, c + j, ldc, 2 * W, k);
    if (j < n) gemm_nn_tile<Arch, R, 2>(a, lda, b + j, ldb, alpha, accumulate, c + j, ldc, n - j, k);
}

// Rows per tile of the broadcast-A products (f32_gemm_nn, f32_gemm_packed): 8 where there are 32 vector
// registers (AVX-512, aarch64), else 4. Each output is the same chain of fused multiply-adds over k whatever
// the tile, so the choice never changes a bit.
template <class Arch>
constexpr size_t register_tile_rows() {
#if defined(__aarch64__)
    return 8;
#else
    return fbatch<Arch>::size == 16 ? 8 : 4;
#endif
}

template <class Arch>
void f32_gemm_nn(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                 size_t ldc, size_t m, size_t n, size_t k) {
    constexpr size_t R = register_tile_rows<Arch>();
    size_t i = 0;
    for (; i + R <= m; i += R) gemm_nn_rows<Arch, R>(a + i * lda, lda, b, ldb, alpha, accumulate, c + i * ldc, ldc, n, k);
    for (; i + 4 <= m; i += 4) gemm_nn_rows<Arch, 4>(a + i * lda, lda, b, ldb, alpha, accumulate, c + i * ldc, ldc, n, k);
    for (; i < m; ++i) gemm_nn_rows<Arch, 1>(a + i * lda, lda, b, ldb, alpha, accumulate, c + i * ldc, ldc, n, k);
}

// Linear layers on weights packed once at load (f32_pack_panels): panels of kPanelVectors vectors of
// columns, each stored k-major ([k][panel width], zero-padded past n), so a tile streams its panel
// contiguously. A tile keeps R rows x kPanelVectors vectors of accumulators that start at the bias; each
// step broadcasts one element of each A row. Every output is the same chain of fused multiply-adds
// whatever its tile or batch, so a row's result does not depend on the rows around it.
constexpr size_t kPanelVectors = 3;

template <class Arch>
size_t f32_packed_panel_width() { return kPanelVectors * fbatch<Arch>::size; }

template <class Arch>
void f32_pack_panels(const float* w, size_t n, size_t k, float* packed) {
    const size_t width = f32_packed_panel_width<Arch>();
    for (size_t first = 0; first < n; first += width) {
        const size_t cols = n - first < width ? n - first : width;
        // Reads each weight row once, in order (the panel being written stays in cache).
        for (size_t j = 0; j < width; ++j) {
            const float* row = w + (first + j) * k;
            if (j < cols)
                for (size_t p = 0; p < k; ++p) packed[p * width + j] = row[p];
            else
                for (size_t p = 0; p < k; ++p) packed[p * width + j] = 0.0f;
        }
        packed += k * width;
    }
}

template <class Arch, size_t R>
inline void gemm_packed_tile(const float* a, size_t lda, const float* panel, const float* bias, int accumulate,
                             float* c, size_t ldc, size_t cols, size_t k) {
    using Bt = fbatch<Arch>;
    constexpr size_t W = Bt::size, C = kPanelVectors, width = C * W;
    Bt start[C];
    for (size_t j = 0; j < C; ++j) {
        const size_t first = j * W;
        start[j] = bias == nullptr || first >= cols ? Bt(0.0f)
                   : cols - first >= W            ? Bt::load_unaligned(bias + first)
                                                  : load_tail<Arch>(bias + first, cols - first, 0.0f);
    }
    Bt acc[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C; ++j) acc[r][j] = start[j];
    for (size_t p = 0; p < k; ++p) {
        Bt bv[C];
        for (size_t j = 0; j < C; ++j) bv[j] = Bt::load_unaligned(panel + p * width + j * W);
        for (size_t r = 0; r < R; ++r) {
            const Bt av(a[r * lda + p]);
            for (size_t j = 0; j < C; ++j) acc[r][j] = fused_multiply_add<Arch>(av, bv[j], acc[r][j]);
        }
    }
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < C && j * W < cols; ++j) {
            const size_t count = cols - j * W < W ? cols - j * W : W;
            store_lanes<Arch>(acc[r][j], c + r * ldc + j * W, count, accumulate);
        }
}

// The last rows < R of a panel, through the tile of exactly that many rows.
template <class Arch, size_t R>
inline void gemm_packed_last_rows(size_t rows, const float* a, size_t lda, const float* panel, const float* bias,
                                  int accumulate, float* c, size_t ldc, size_t cols, size_t k) {
    if constexpr (R > 0) {
        if (rows == R) return gemm_packed_tile<Arch, R>(a, lda, panel, bias, accumulate, c, ldc, cols, k);
        gemm_packed_last_rows<Arch, R - 1>(rows, a, lda, panel, bias, accumulate, c, ldc, cols, k);
    }
}

template <class Arch>
void f32_gemm_packed(const float* a, size_t lda, const float* packed, const float* bias, int accumulate, float* c,
                     size_t ldc, size_t m, size_t n, size_t k) {
    constexpr size_t R = register_tile_rows<Arch>();
    const size_t width = f32_packed_panel_width<Arch>();
    for (size_t first = 0; first < n; first += width) {
        const size_t cols = n - first < width ? n - first : width;
        const float* panel = packed + first * k;
        const float* panel_bias = bias ? bias + first : nullptr;
        size_t i = 0;
        for (; i + R <= m; i += R)
            gemm_packed_tile<Arch, R>(a + i * lda, lda, panel, panel_bias, accumulate, c + i * ldc + first, ldc, cols, k);
        if (i < m)
            gemm_packed_last_rows<Arch, R - 1>(m - i, a + i * lda, lda, panel, panel_bias, accumulate,
                                               c + i * ldc + first, ldc, cols, k);
    }
}

// The two products of attention_tiles.hpp's tiles on f32_gemm_nn, whose outputs are chains of
// multiply-adds in order: S = scale Q K^T along K^T's rows (copied once per call, [d][keys]: vectors along
// the keys, no horizontal sums), O += P V along V's rows. Bf16 rounds Q, K and V to bf16 first (V into
// a per-call copy): products of two bf16 values are exact in f32, so a fused and an unfused multiply-add
// agree and every ISA, SSE2's unfused ones and the scalar ISA's plain loops included, gives the same bits.
template <class Arch, bool Bf16>
class GemmProducts {
public:
    static constexpr bool kBf16 = Bf16;
    GemmProducts(const float* k, const float* v, size_t ldkv, size_t keys, size_t d, size_t heads)
        : v_(v), ldv_(ldkv), keys_(keys), d_(d),
          kt_(attention_buffer<GemmProducts, float, 0>(d * keys)),
          q_(attention_buffer<GemmProducts, float, 1>(heads * kAttentionRows * d)) {
        for (size_t j = 0; j < keys; ++j)
            for (size_t c = 0; c < d; ++c) kt_[c * keys + j] = k[j * ldkv + c];
        if constexpr (kBf16) {
            round_to_bf16(kt_, kt_, d * keys);
            float* rounded = attention_buffer<GemmProducts, float, 2>(keys * d);
            for (size_t j = 0; j < keys; ++j) round_to_bf16(v + j * ldkv, rounded + j * d, d);
            v_ = rounded;
            ldv_ = d;
        }
    }
    void load_queries(size_t head, const float* q, size_t ldq, size_t rows) {
        float* block = q_ + head * kAttentionRows * d_;
        for (size_t r = 0; r < rows; ++r) {
            if constexpr (kBf16) round_to_bf16(q + r * ldq, block + r * d_, d_);
            else std::copy(q + r * ldq, q + r * ldq + d_, block + r * d_);
        }
    }
    void scores(size_t head, size_t rows, size_t key, size_t cols, float scale, float* s, size_t lds) const {
        gemm_nn(q_ + head * kAttentionRows * d_, d_, kt_ + key, keys_, scale, 0, s, lds, rows, cols, d_);
    }
    void add_context(size_t rows, const float* p, size_t ldp, size_t key, size_t cols, float* o, size_t ldo) const {
        gemm_nn(p, ldp, v_ + key * ldv_, ldv_, 1.0f, 1, o, ldo, rows, d_, cols);
    }

private:
    // f32_gemm_nn; on the scalar ISA its chains one float operation at a time (bf16 only: exact products).
    static void gemm_nn(const float* a, size_t lda, const float* b, size_t ldb, float alpha, int accumulate, float* c,
                        size_t ldc, size_t m, size_t n, size_t k) {
        if constexpr (std::is_same_v<Arch, scalar_arch>) {
            static_assert(kBf16, "the scalar ISA's f32 attention is the double-precision reference");
            for (size_t i = 0; i < m; ++i)
                for (size_t j = 0; j < n; ++j) {
                    float sum = 0.0f;
                    for (size_t p = 0; p < k; ++p) sum = a[i * lda + p] * b[p * ldb + j] + sum;
                    const float value = sum * alpha;
                    c[i * ldc + j] = accumulate ? value + c[i * ldc + j] : value;
                }
        } else {
            f32_gemm_nn<Arch>(a, lda, b, ldb, alpha, accumulate, c, ldc, m, n, k);
        }
    }

    const float* v_;
    size_t ldv_, keys_, d_;
    float* const kt_;
    float* const q_;
};

template <class Arch>
void f32_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                   float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d, size_t heads,
                   float* out, size_t ldo) {
    attention_tiles<Arch, GemmProducts<Arch, false>>(q, ldq, k, v, ldkv, bias, scale, first, m, keys, before, after, d,
                                                     heads, out, ldo);
}

template <class Arch>
void bf16_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                    float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d, size_t heads,
                    float* out, size_t ldo) {
    attention_tiles<Arch, GemmProducts<Arch, true>>(q, ldq, k, v, ldkv, bias, scale, first, m, keys, before, after, d,
                                                    heads, out, ldo);
}

// D::size floats from p, each converted to double (exact). xsimd 8.1 has no float-to-double conversion: the
// ISA's own instruction where this file's flags have it, else through memory.
template <class Arch>
inline xsimd::batch<double, Arch> load_widened(const float* p) {
    using D = xsimd::batch<double, Arch>;
#if defined(__AVX512F__)
    if constexpr (D::size == 8) return D(_mm512_cvtps_pd(_mm256_loadu_ps(p)));
#endif
#if defined(__AVX__)
    if constexpr (D::size == 4) return D(_mm256_cvtps_pd(_mm_loadu_ps(p)));
#endif
#if defined(__SSE2__)
    if constexpr (D::size == 2)
        return D(_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
#elif defined(__aarch64__)
    if constexpr (D::size == 2) return D(vcvt_f64_f32(vld1_f32(p)));
#endif
    alignas(64) double wide[D::size];
    for (size_t s = 0; s < D::size; ++s) wide[s] = p[s];
    return D::load_aligned(wide);
}

// p[s] = float(p[s] + v[s]) for s < D::size: p widened, added in double, rounded once to float.
template <class Arch>
inline void add_narrowed(xsimd::batch<double, Arch> v, float* p) {
    using D = xsimd::batch<double, Arch>;
    const D sum = load_widened<Arch>(p) + v;
#if defined(__AVX512F__)
    if constexpr (D::size == 8) return _mm256_storeu_ps(p, _mm512_cvtpd_ps(sum));
#endif
#if defined(__AVX__)
    if constexpr (D::size == 4) return _mm_storeu_ps(p, _mm256_cvtpd_ps(sum));
#endif
#if defined(__SSE2__)
    if constexpr (D::size == 2)
        return _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_castps_si128(_mm_cvtpd_ps(sum)));
#elif defined(__aarch64__)
    if constexpr (D::size == 2) return vst1_f32(p, vcvt_f32_f64(sum));
#endif
    alignas(64) double wide[D::size];
    sum.store_aligned(wide);
    for (size_t s = 0; s < D::size; ++s) p[s] = static_cast<float>(wide[s]);
}

// f32_add_products_f64 on R rows at once: each widened load of w serves R rows, and with k <= kBroadcast the x
// values are broadcast once per call, not once per column batch; B column batches per row keep R * B independent
// sums in flight.
template <class Arch, size_t R>
void add_products_f64_rows(const float* x, size_t k, const float* w, size_t ldw, float* y, size_t n) {
    using D = xsimd::batch<double, Arch>;
    constexpr size_t S = D::size, B = R >= 4 ? 2 : 4, kBroadcast = 16;
    auto columns = [&](size_t j, auto batches, auto x_at) {  // columns [j, j + batches * S) of every row
        constexpr size_t Nb = decltype(batches)::value;
        D sum[R][Nb];
        for (size_t r = 0; r < R; ++r)
            for (size_t b = 0; b < Nb; ++b) sum[r][b] = D(0.0);
        for (size_t c = 0; c < k; ++c) {
            D wc[Nb];
            for (size_t b = 0; b < Nb; ++b) wc[b] = load_widened<Arch>(w + c * ldw + j + b * S);
            for (size_t r = 0; r < R; ++r) {
                const D xc = x_at(r, c);
                for (size_t b = 0; b < Nb; ++b) sum[r][b] = xsimd::fma(xc, wc[b], sum[r][b]);
            }
        }
        for (size_t r = 0; r < R; ++r)
            for (size_t b = 0; b < Nb; ++b) add_narrowed<Arch>(sum[r][b], y + r * n + j + b * S);
    };
    auto all_columns = [&](auto x_at) {  // up to the last full batch
        size_t j = 0;
        for (; j + B * S <= n; j += B * S) columns(j, std::integral_constant<size_t, B>{}, x_at);
        for (; j + S <= n; j += S) columns(j, std::integral_constant<size_t, 1>{}, x_at);
        return j;
    };
    size_t j;
    if (k <= kBroadcast) {
        D broadcast[kBroadcast][R];
        for (size_t c = 0; c < k; ++c)
            for (size_t r = 0; r < R; ++r) broadcast[c][r] = D(static_cast<double>(x[r * k + c]));
        j = all_columns([&](size_t r, size_t c) { return broadcast[c][r]; });
    } else {
        j = all_columns([&](size_t r, size_t c) { return D(static_cast<double>(x[r * k + c])); });
    }
    for (; j < n; ++j)
        for (size_t r = 0; r < R; ++r) {
            double sum = 0.0;
            for (size_t c = 0; c < k; ++c) sum += static_cast<double>(x[r * k + c]) * static_cast<double>(w[c * ldw + j]);
            y[r * n + j] = static_cast<float>(static_cast<double>(y[r * n + j]) + sum);
        }
}

template <class Arch>
void f32_add_products_f64(const float* x, size_t rows, size_t k, const float* w, size_t ldw, float* y, size_t n) {
    constexpr size_t R = 4;
    size_t r = 0;
    for (; r + R <= rows; r += R) add_products_f64_rows<Arch, R>(x + r * k, k, w, ldw, y + r * n, n);
    for (; r < rows; ++r) add_products_f64_rows<Arch, 1>(x + r * k, k, w, ldw, y + r * n, n);
}

template <class Arch>
void fill_kernels(Kernels& k) {
#define EDGEMBED_KERNEL(name, ret, params) k.name = &name<Arch>;
#include "simd/kernel_list.inc"
#undef EDGEMBED_KERNEL
}

}  // namespace edgembed::simd::generic
