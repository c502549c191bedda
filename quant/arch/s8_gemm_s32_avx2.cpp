// s8 x s8 -> s32 GEMM for AVX2 (this file alone is compiled with -mavx2 -mfma; call it only where
// simd::Isa::avx2 is available). Both operands are widened to int16 and multiplied with vpmaddwd, whose
// int32 sum of two products is exact for any int8 inputs.
//
// Weights: blocks of 16 output channels; within a block, for every pair of k, the 16 channels' two bytes
// (32 bytes), sign-extended to int16 when loaded. Activations: each 4-row panel is widened to int16 and
// transposed once per call to [k pair][row] in the scratch, so the tile broadcasts one int32 (a pair of
// int16) per row. A 4 x 16 tile keeps 8 accumulators; output channels go in chunks whose weights stay in L2
// while every panel passes over them.
#include <immintrin.h>

#include <cstring>

#include "quant/int8_gemm_kernels.h"

namespace edgembed::quant {
namespace {

constexpr size_t kMr = 4;                // rows per tile
constexpr size_t kNr = 16;               // output channels per tile (two vectors of 8 x int32)
constexpr size_t kKw = 2;                // k per int32 lane (vpmaddwd sums pairs)
constexpr size_t kKa = 16;               // k per step of the activation packing
constexpr size_t kL2Bytes = 256 * 1024;  // packed weights per chunk of output channels

inline size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }
inline size_t smaller(size_t a, size_t b) { return a < b ? a : b; }
inline size_t panel_ints(size_t k) { return up(k, kKa) / kKw * kMr; }

// Rows [rows <= 4, k] -> [k / 2][4] int32 (pairs of int16), k padded to 16 and rows to 4 with zeros.
void pack_panel(const int8_t* a, size_t k, size_t rows, int32_t* out) {
    auto transpose_store = [&out](__m256i r0, __m256i r1, __m256i r2, __m256i r3) {
        const __m256i t0 = _mm256_unpacklo_epi32(r0, r1), t1 = _mm256_unpackhi_epi32(r0, r1);
        const __m256i t2 = _mm256_unpacklo_epi32(r2, r3), t3 = _mm256_unpackhi_epi32(r2, r3);
        const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
        const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(u0, u1, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_permute2x128_si256(u2, u3, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_permute2x128_si256(u0, u1, 0x31));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 24), _mm256_permute2x128_si256(u2, u3, 0x31));
        out += 2 * kKa;
    };
    auto widen = [](const int8_t* p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
    const size_t kfull = k / kKa * kKa;
    if (rows == kMr) {
        for (size_t p = 0; p < kfull; p += kKa)
            transpose_store(widen(a + p), widen(a + k + p), widen(a + 2 * k + p), widen(a + 3 * k + p));
    } else {
        const __m256i zero = _mm256_setzero_si256();
        for (size_t p = 0; p < kfull; p += kKa)
            transpose_store(widen(a + p), rows > 1 ? widen(a + k + p) : zero, rows > 2 ? widen(a + 2 * k + p) : zero, zero);
    }
    if (kfull < k) {
        alignas(16) int8_t tail[kMr][kKa] = {};
        for (size_t r = 0; r < rows; ++r) std::memcpy(tail[r], a + r * k + kfull, k - kfull);
        transpose_store(widen(tail[0]), widen(tail[1]), widen(tail[2]), widen(tail[3]));
    }
}

// One tile: C[R, cols] from a packed panel `ap` and a packed block `wp`; `pairs` = k / 2 rounded up.
// The row loops are unrolled by pragma and the file is built with -fno-tree-pre: otherwise GCC 12 moves
// the accumulators between registers (and one through the stack) on every step.
template <size_t R>
void tile(const int32_t* ap, const int8_t* wp, size_t pairs, int32_t* c, size_t ldc, size_t cols) {
    __m256i acc[R][2];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (size_t p = 0; p < pairs; ++p) {
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp)));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + 16)));
        wp += kNr * kKw;
#pragma GCC unroll 4
        for (size_t r = 0; r < R; ++r) {
            const __m256i x = _mm256_set1_epi32(ap[r]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(w0, x));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(w1, x));
        }
        ap += kMr;
    }
    // vpmaskmovd neither writes nor faults on the masked-off columns.
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), n = _mm256_set1_epi32(static_cast<int>(cols));
    const __m256i m0 = _mm256_cmpgt_epi32(n, lane), m1 = _mm256_cmpgt_epi32(n, _mm256_add_epi32(lane, _mm256_set1_epi32(8)));
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
        _mm256_maskstore_epi32(c + r * ldc, m0, acc[r][0]);
        _mm256_maskstore_epi32(c + r * ldc + 8, m1, acc[r][1]);
    }
}

using TileFn = void (*)(const int32_t*, const int8_t*, size_t, int32_t*, size_t, size_t);
constexpr TileFn kTiles[kMr + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>};

}  // namespace

size_t s8_gemm_s32_avx2_packed_bytes(size_t n, size_t k) { return up(n, kNr) * up(k, kKw); }

// The layout of pack_interleaved(w, n, k, 16, 2, up(k, 2)), 16 channels x 16 k at a time where both are
// whole: rows j and j + 8 share a register, and an 8 x 8 transpose of int16 pairs within each 128-bit lane
// gives the eight 32-byte steps. The rest (a last partial block, k past its last multiple of 16, padding)
// goes a pair at a time. A model's load spent a third of its time packing 2 bytes at a time.
void s8_gemm_s32_avx2_pack(const int8_t* w, size_t n, size_t k, int8_t* packed) {
    const size_t kpad = up(k, kKw);
    for (size_t j0 = 0; j0 < n; j0 += kNr) {
        int8_t* block = packed + j0 * kpad;
        size_t q = 0;
        if (j0 + kNr <= n) {
            auto load = [&](size_t row) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + (j0 + row) * k + q)); };
            for (; q + kKa <= k; q += kKa) {
                __m256i r[8];
                for (size_t i = 0; i < 8; ++i) r[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(load(i)), load(i + 8), 1);
                __m256i t[8], u[8];
                for (size_t i = 0; i < 4; ++i) {
                    t[2 * i] = _mm256_unpacklo_epi16(r[2 * i], r[2 * i + 1]);
                    t[2 * i + 1] = _mm256_unpackhi_epi16(r[2 * i], r[2 * i + 1]);
                }
                for (size_t h = 0; h < 2; ++h)
                    for (size_t i = 0; i < 2; ++i) {
                        u[4 * h + 2 * i] = _mm256_unpacklo_epi32(t[4 * h + i], t[4 * h + i + 2]);
                        u[4 * h + 2 * i + 1] = _mm256_unpackhi_epi32(t[4 * h + i], t[4 * h + i + 2]);
                    }
                // u[0..3]: rows 0-3 (and 8-11) at pairs {0,1}, {2,3}, {4,5}, {6,7}; u[4..7]: rows 4-7 (12-15).
                __m256i* out = reinterpret_cast<__m256i*>(block + q * kNr);
                for (size_t i = 0; i < 4; ++i) {
                    _mm256_storeu_si256(out + 2 * i, _mm256_unpacklo_epi64(u[i], u[i + 4]));
                    _mm256_storeu_si256(out + 2 * i + 1, _mm256_unpackhi_epi64(u[i], u[i + 4]));
                }
            }
        }
        for (; q < kpad; q += kKw)
            for (size_t j = 0; j < kNr; ++j)
                for (size_t b = 0; b < kKw; ++b)
                    block[q * kNr + j * kKw + b] = j0 + j < n && q + b < k ? w[(j0 + j) * k + q + b] : 0;
    }
}

size_t s8_gemm_s32_avx2_scratch_bytes(size_t m, size_t k) { return up(m, kMr) / kMr * panel_ints(k) * sizeof(int32_t); }

void s8_gemm_s32_avx2(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc,
                      void* scratch) {
    const size_t panels = up(m, kMr) / kMr, stride = panel_ints(k);
    int32_t* packed_a = static_cast<int32_t*>(scratch);
    for (size_t i = 0; i < panels; ++i) pack_panel(a + i * kMr * k, k, smaller(kMr, m - i * kMr), packed_a + i * stride);

    const size_t pairs = up(k, kKw) / kKw, block_bytes = kNr * up(k, kKw), blocks = up(n, kNr) / kNr;
    const size_t chunk = block_bytes == 0 || block_bytes >= kL2Bytes ? 1 : kL2Bytes / block_bytes;
    for (size_t b0 = 0; b0 < blocks; b0 += chunk) {
        const size_t b1 = smaller(blocks, b0 + chunk);
        for (size_t i = 0; i < panels; ++i) {
            const TileFn fn = kTiles[smaller(kMr, m - i * kMr)];
            for (size_t b = b0; b < b1; ++b)
                fn(packed_a + i * stride, packed + b * block_bytes, pairs, c + i * kMr * ldc + b * kNr, ldc,
                   smaller(kNr, n - b * kNr));
        }
    }
}

}  // namespace edgembed::quant
