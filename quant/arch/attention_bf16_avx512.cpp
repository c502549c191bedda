// Attention's two products in bf16 for AVX512-BF16 (callers check bf16_attention_hardware()): this file is
// compiled with simd/arch/avx512bw.cpp's flags (it instantiates simd/attention_tiles.hpp on xsimd::avx512bw,
// whose inline code must be the same in both), and only the functions marked EDGEMBED_AVX512BF16 may use
// AVX512-BF16. vdpbf16ps adds two bf16 x bf16 products per f32 lane to an f32 accumulator: the odd one
// first, then the even one (each exact, each sum rounded to nearest even); the operands' pairs are stored
// swapped so that the sum runs in natural order, as quant/attention_bf16.cpp's emulation on every other ISA
// and the simd kernel bf16_attention do.
//
// Scores S = Q K^T: K is packed per pair of head dimensions as [d/2][keys rounded up to 16][2] so that one
// zmm holds 16 keys' pair; a row's pair of Q is broadcast; tiles of 4 rows x 64 keys. Context O = P V: V is
// packed per pair of keys as [keys/2][d rounded up to 16][2], a row's pair of P is broadcast; tiles of
// 8 rows x 32 columns. Both run the same tile (16 accumulators). Padding is zero; only the length x length
// (length x d) results are stored.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "quant/attention_bf16.h"
#include "simd/attention_tiles.hpp"
#include "simd/bf16.h"

// The functions that use AVX512-BF16 instructions (the rest of the file must not: see above).
#define EDGEMBED_AVX512BF16 __attribute__((target("avx512bf16,avx512vl")))

namespace edgembed::quant {
// Named (not only anonymous) so that profiles attribute these helpers to attention: bench/probes/attention_share.py
// counts symbols that say "attention".
namespace attention_bf16 {
namespace {

inline size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// n floats -> bf16, zero-filled up to n_padded (even), then each pair swapped (see odd_first).
EDGEMBED_AVX512BF16 void row_to_bf16(const float* x, size_t n, size_t n_padded, uint16_t* y) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i))));
    for (; i < n; ++i) y[i] = f32_to_bf16(x[i]);
    for (; i < n_padded; ++i) y[i] = 0;
    for (i = 0; i < n_padded; i += 2) {
        const uint16_t first = y[i];
        y[i] = y[i + 1];
        y[i + 1] = first;
    }
}

// vdpbf16ps adds a pair's odd element first: the packed pairs hold term 2p + 1 at 0 and 2p at 1, so that the
// terms are added in their natural order 0, 1, 2, ... (which the emulation in attention_bf16.cpp follows).
constexpr size_t odd_first(size_t e) { return 1 - e; }

inline __m512bh broadcast_pair(const uint16_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return reinterpret_cast<__m512bh>(_mm512_set1_epi32(v));
}

inline __m512bh load_bh(const uint16_t* p) { return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p)); }

inline __mmask16 tail_mask(size_t remaining) {
    return remaining >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << remaining) - 1);
}

// Both products are C[rows, cols] = alpha A B (+ C when accumulating) with A in bf16 rows (a pair of A's row
// broadcast per step) and B packed as [pairs][ldb][2] bf16. A tile: R rows x 16 * C columns from column c0;
// only columns below `cols` are stored. The scaling and the add after the chain are f32_gemm_nn's.
template <int R, int C>
EDGEMBED_AVX512BF16 void tile(const uint16_t* a, size_t lda, const uint16_t* b, size_t ldb, size_t pairs, size_t c0,
                              size_t cols, float alpha, bool accumulate, float* out, size_t ld_out) {
    __m512 acc[R][C];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
    for (size_t p = 0; p < pairs; ++p) {
        __m512bh bv[C];
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) bv[c] = load_bh(b + (p * ldb + c0 + 16 * static_cast<size_t>(c)) * 2);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m512bh av = broadcast_pair(a + static_cast<size_t>(r) * lda + 2 * p);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], av, bv[c]);
        }
    }
    const __m512 valpha = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            const size_t col = c0 + 16 * static_cast<size_t>(c);
            if (col >= cols) continue;
            float* y = out + static_cast<size_t>(r) * ld_out + col;
            const __mmask16 mask = tail_mask(cols - col);
            __m512 result = _mm512_mul_ps(acc[r][c], valpha);
            if (accumulate) result = _mm512_add_ps(result, _mm512_maskz_loadu_ps(mask, y));
            _mm512_mask_storeu_ps(y, mask, result);
        }
}

// R rows, columns below `cols`: 16 accumulators per tile (R x C = 16), then 16-column tiles for the rest.
template <int R>
EDGEMBED_AVX512BF16 void rows(const uint16_t* a, size_t lda, const uint16_t* b, size_t ldb, size_t pairs, size_t cols,
                              float alpha, bool accumulate, float* out, size_t ld_out) {
    constexpr int C = R >= 4 ? 16 / R : 1;
    const size_t padded = up(cols, 16);
    size_t c = 0;
    for (; c + 16 * C <= padded; c += 16 * C) tile<R, C>(a, lda, b, ldb, pairs, c, cols, alpha, accumulate, out, ld_out);
    for (; c < padded; c += 16) tile<R, 1>(a, lda, b, ldb, pairs, c, cols, alpha, accumulate, out, ld_out);
}

// Every row: tiles of R rows (4 x 64 columns for scores, 8 x 32 for the context), then one row at a time.
template <int R>
EDGEMBED_AVX512BF16 void product(const uint16_t* a, size_t lda, size_t n_rows, const uint16_t* b, size_t ldb,
                                 size_t pairs, size_t cols, float alpha, bool accumulate, float* out, size_t ld_out) {
    size_t i = 0;
    for (; i + R <= n_rows; i += R)
        rows<R>(a + i * lda, lda, b, ldb, pairs, cols, alpha, accumulate, out + i * ld_out, ld_out);
    for (; i < n_rows; ++i) rows<1>(a + i * lda, lda, b, ldb, pairs, cols, alpha, accumulate, out + i * ld_out, ld_out);
}

// Two already rounded floats (simd::round_to_bf16) as one packed pair, the odd element (x1) first.
inline uint32_t odd_first_pair(float x0, float x1) {
    uint32_t even, odd;
    std::memcpy(&even, &x0, sizeof even);
    std::memcpy(&odd, &x1, sizeof odd);
    return even | odd >> 16;
}

// bf16_attention's products (simd/attention_tiles.hpp's Products) on vdpbf16ps, the head dimensions in pairs
// (an odd d padded with a zero). Per call, K^T as [pairs][ldk][2] (ldk: the keys rounded up to 16, plus 16 that
// a tile's last loads may read) and V as [keys/2 rounded up][d rounded up to 16][2]; per block the queries as
// rows of pairs; per tile P's rows (already rounded) as pairs, an odd count of keys padded with a zero.
class HardwareProducts {
public:
    static constexpr bool kBf16 = true;
    HardwareProducts(const float* k, const float* v, size_t ldkv, size_t keys, size_t d, size_t heads)
        : d_(d), pairs_(up(d, 2) / 2), ldk_(up(keys, 16) + 16), ldv_(up(d, 16)),
          kp_(simd::generic::attention_buffer<HardwareProducts, uint32_t, 0>(pairs_ * ldk_)),
          vp_(simd::generic::attention_buffer<HardwareProducts, uint32_t, 1>(up(keys, 2) / 2 * ldv_)),
          q_(simd::generic::attention_buffer<HardwareProducts, uint32_t, 2>(heads * kRows * pairs_)),
          rounded_(simd::generic::attention_buffer<HardwareProducts, float, 3>(2 * ldv_)) {
        std::memset(kp_, 0, pairs_ * ldk_ * sizeof(uint32_t));
        for (size_t j = 0; j < keys; ++j) {
            round_row(k + j * ldkv, rounded_);
            for (size_t p = 0; p < pairs_; ++p) kp_[p * ldk_ + j] = odd_first_pair(rounded_[2 * p], rounded_[2 * p + 1]);
        }
        for (size_t j = 0; j < keys; j += 2) {  // rounded_: key j's row, then key j + 1's (or zeros)
            simd::round_to_bf16(v + j * ldkv, rounded_, d);
            if (j + 1 < keys) simd::round_to_bf16(v + (j + 1) * ldkv, rounded_ + ldv_, d);
            else std::fill(rounded_ + ldv_, rounded_ + ldv_ + d, 0.0f);
            uint32_t* pairs = vp_ + j / 2 * ldv_;
            for (size_t c = 0; c < d; ++c) pairs[c] = odd_first_pair(rounded_[c], rounded_[ldv_ + c]);
            std::fill(pairs + d, pairs + ldv_, 0u);
        }
    }
    void load_queries(size_t head, const float* q, size_t ldq, size_t rows) {
        for (size_t r = 0; r < rows; ++r) {
            round_row(q + r * ldq, rounded_);
            uint32_t* row = q_ + (head * kRows + r) * pairs_;
            for (size_t p = 0; p < pairs_; ++p) row[p] = odd_first_pair(rounded_[2 * p], rounded_[2 * p + 1]);
        }
    }
    void scores(size_t head, size_t rows, size_t key, size_t cols, float scale, float* s, size_t lds) const {
        product<4>(halves(q_ + head * kRows * pairs_), 2 * pairs_, rows, halves(kp_) + key * 2, ldk_, pairs_, cols, scale,
                   false, s, lds);
    }
    void add_context(size_t rows, const float* p, size_t ldp, size_t key, size_t cols, float* o, size_t ldo) {
        const size_t pairs = up(cols, 2) / 2;
        for (size_t r = 0; r < rows; ++r) {
            const float* row = p + r * ldp;
            uint32_t* packed = p_ + r * kKeys / 2;
            for (size_t t = 0; t < cols / 2; ++t) packed[t] = odd_first_pair(row[2 * t], row[2 * t + 1]);
            if (cols % 2 == 1) packed[cols / 2] = odd_first_pair(row[cols - 1], 0.0f);
        }
        product<8>(halves(p_), kKeys, rows, halves(vp_) + key / 2 * ldv_ * 2, ldv_, pairs, d_, 1.0f, true, o, ldo);
    }

private:
    static constexpr size_t kRows = simd::generic::kAttentionRows, kKeys = simd::generic::kAttentionKeys;
    static const uint16_t* halves(const uint32_t* pairs) { return reinterpret_cast<const uint16_t*>(pairs); }
    // A row of d floats rounded to bf16, a zero after an odd d.
    void round_row(const float* x, float* y) const {
        simd::round_to_bf16(x, y, d_);
        y[d_] = 0.0f;
    }

    size_t d_, pairs_, ldk_, ldv_;
    uint32_t* const kp_;
    uint32_t* const vp_;
    uint32_t* const q_;
    float* const rounded_;  // [2][ldv]
    uint32_t p_[kRows * kKeys / 2];
};

}  // namespace
}  // namespace attention_bf16

using namespace attention_bf16;

EDGEMBED_AVX512BF16 void bf16_attention_scores_avx512bf16(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch) {
    const size_t keys_padded = up(length, 16);
    uint16_t* qb = static_cast<uint16_t*>(scratch);     // [length][d]
    uint16_t* kp = qb + length * d;                       // [d/2][keys_padded][2]
    for (size_t i = 0; i < length; ++i) row_to_bf16(q + i * ld, d, d, qb + i * d);
    for (size_t p = 0; p < d / 2; ++p)
        for (size_t j = 0; j < keys_padded; ++j)
            for (size_t e = 0; e < 2; ++e)
                kp[(p * keys_padded + j) * 2 + e] = j < length ? f32_to_bf16(k[j * ld + 2 * p + odd_first(e)]) : 0;
    product<4>(qb, d, length, kp, keys_padded, d / 2, length, 1.0f, false, s, ld_s);
}

EDGEMBED_AVX512BF16 void bf16_attention_context_avx512bf16(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
                            float* out, size_t ld_out, void* scratch) {
    const size_t keys2 = up(length, 2), pairs = keys2 / 2, d_padded = up(d, 16);
    uint16_t* pb = static_cast<uint16_t*>(scratch);  // [length][keys2]
    uint16_t* vp = pb + length * keys2;                // [pairs][d_padded][2]
    for (size_t i = 0; i < length; ++i) row_to_bf16(p + i * ld_p, length, keys2, pb + i * keys2);
    for (size_t pp = 0; pp < pairs; ++pp)
        for (size_t c = 0; c < d_padded; ++c)
            for (size_t e = 0; e < 2; ++e) {
                const size_t j = 2 * pp + odd_first(e);
                vp[(pp * d_padded + c) * 2 + e] = j < length && c < d ? f32_to_bf16(v[j * ld_v + c]) : 0;
            }
    product<8>(pb, keys2, length, vp, d_padded, pairs, d, 1.0f, false, out, ld_out);
}

void bf16_tiled_attention_avx512bf16(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                     const float* bias, float scale, size_t first, size_t m, size_t keys, size_t before,
                                     size_t after, size_t d, size_t heads, float* out, size_t ldo) {
    simd::generic::attention_tiles<xsimd::avx512bw, HardwareProducts>(q, ldq, k, v, ldkv, bias, scale, first, m, keys,
                                                                      before, after, d, heads, out, ldo);
}

}  // namespace edgembed::quant
