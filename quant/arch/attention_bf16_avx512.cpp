// Attention's two products in bf16 for AVX512-BF16 (this file alone is compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512bf16; callers check bf16_attention_hardware()). vdpbf16ps adds two bf16 x bf16
// products per f32 lane to an f32 accumulator: the odd one first, then the even one (each exact, each sum
// rounded to nearest even); the operands' pairs are stored swapped so that the sum runs in natural order,
// as quant/attention_bf16.cpp's emulation on every other ISA does.
//
// Scores S = Q K^T: K is packed per pair of head dimensions as [d/2][keys rounded up to 16][2] so that one
// zmm holds 16 keys' pair; a row's pair of Q is broadcast; tiles of 4 rows x 64 keys. Context O = P V: V is
// packed per pair of keys as [keys/2][d rounded up to 16][2], a row's pair of P is broadcast; tiles of
// 8 rows x 32 columns. Both run the same tile (16 accumulators). Padding is zero; only the length x length
// (length x d) results are stored.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "quant/attention_bf16.h"

namespace edgembed::quant {
namespace {

inline size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// n floats -> bf16, zero-filled up to n_padded (even), then each pair swapped (see odd_first).
inline void row_to_bf16(const float* x, size_t n, size_t n_padded, uint16_t* y) {
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

// Both products are C[rows, cols] = A B with A in bf16 rows (a pair of A's row broadcast per step) and B
// packed as [pairs][cols_padded][2] bf16. A tile: R rows x 16 * C columns from column c0; only columns
// below `cols` are stored.
template <int R, int C>
void tile(const uint16_t* a, size_t lda, const uint16_t* b, size_t cols_padded, size_t pairs, size_t c0, size_t cols,
          float* out, size_t ld_out) {
    __m512 acc[R][C];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
    for (size_t p = 0; p < pairs; ++p) {
        __m512bh bv[C];
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) bv[c] = load_bh(b + (p * cols_padded + c0 + 16 * static_cast<size_t>(c)) * 2);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m512bh av = broadcast_pair(a + static_cast<size_t>(r) * lda + 2 * p);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], av, bv[c]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            const size_t col = c0 + 16 * static_cast<size_t>(c);
            if (col < cols) _mm512_mask_storeu_ps(out + static_cast<size_t>(r) * ld_out + col, tail_mask(cols - col), acc[r][c]);
        }
}

// R rows, all columns: 16 accumulators per tile (R x C = 16), then 16-column tiles for the rest.
template <int R>
void rows(const uint16_t* a, size_t lda, const uint16_t* b, size_t cols_padded, size_t pairs, size_t cols, float* out,
          size_t ld_out) {
    constexpr int C = R >= 4 ? 16 / R : 1;
    size_t c = 0;
    for (; c + 16 * C <= cols_padded; c += 16 * C) tile<R, C>(a, lda, b, cols_padded, pairs, c, cols, out, ld_out);
    for (; c < cols_padded; c += 16) tile<R, 1>(a, lda, b, cols_padded, pairs, c, cols, out, ld_out);
}

// Every row: tiles of R rows (4 x 64 columns for scores, 8 x 32 for the context), then one row at a time.
template <int R>
void product(const uint16_t* a, size_t lda, size_t n_rows, const uint16_t* b, size_t cols_padded, size_t pairs,
             size_t cols, float* out, size_t ld_out) {
    size_t i = 0;
    for (; i + R <= n_rows; i += R) rows<R>(a + i * lda, lda, b, cols_padded, pairs, cols, out + i * ld_out, ld_out);
    for (; i < n_rows; ++i) rows<1>(a + i * lda, lda, b, cols_padded, pairs, cols, out + i * ld_out, ld_out);
}

}  // namespace

void bf16_attention_scores_avx512bf16(const float* q, const float* k, size_t ld, size_t length, size_t d, float* s,
                           size_t ld_s, void* scratch) {
    const size_t keys_padded = up(length, 16);
    uint16_t* qb = static_cast<uint16_t*>(scratch);     // [length][d]
    uint16_t* kp = qb + length * d;                       // [d/2][keys_padded][2]
    for (size_t i = 0; i < length; ++i) row_to_bf16(q + i * ld, d, d, qb + i * d);
    for (size_t p = 0; p < d / 2; ++p)
        for (size_t j = 0; j < keys_padded; ++j)
            for (size_t e = 0; e < 2; ++e)
                kp[(p * keys_padded + j) * 2 + e] = j < length ? f32_to_bf16(k[j * ld + 2 * p + odd_first(e)]) : 0;
    product<4>(qb, d, length, kp, keys_padded, d / 2, length, s, ld_s);
}

void bf16_attention_context_avx512bf16(const float* p, size_t ld_p, const float* v, size_t ld_v, size_t length, size_t d,
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
    product<8>(pb, keys2, length, vp, d_padded, pairs, d, out, ld_out);
}

}  // namespace edgembed::quant
