// u8 x s8 -> s32 GEMM for AVX512-VNNI (this file alone is compiled with -mavx512f -mavx512bw -mavx512vnni;
// call it only where the CPU has avx512vnni and the OS saves the zmm state). vpdpbusd, the non-saturating
// form, adds four u8 x s8 products per int32 lane: at most 4 * 255 * 128, exact.
//
// Weights: blocks of 48 output channels; within a block, for every 4 k, the 48 channels' four bytes (three
// zmm of 16 channels). Activations are read in place: the tile broadcasts 4 bytes of a row per step (the k
// tail zero-extended, so nothing is read past the row). An 8 x 48 tile keeps 24 accumulators (8 x 32 was
// 3-10 % slower end to end at batch 32 and at 512 tokens); output channels go in chunks whose weights
// stay in L2 while every row panel passes over them.
#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>

#include "quant/int8_gemm_kernels.h"

namespace edgembed::quant {
namespace {

constexpr size_t kMr = 8;                // rows per tile
constexpr size_t kVectors = 3;           // zmm of 16 x int32 per tile row
constexpr size_t kNr = 16 * kVectors;    // output channels per tile
constexpr size_t kKw = 4;                // k per int32 lane (vpdpbusd)
constexpr size_t kL2Bytes = 384 * 1024;  // packed weights per chunk of output channels

inline size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }
inline size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

inline int32_t load4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The row loops are unrolled by pragma and the file is built with -fno-tree-pre: otherwise GCC 12 moves
// the accumulators between registers (and some through the stack) on every step.
template <size_t R>
void tile(const uint8_t* a, size_t k, const int8_t* wp, int32_t* c, size_t ldc, size_t cols) {
    __m512i acc[R][kVectors];
#pragma GCC unroll 16
    for (size_t r = 0; r < R; ++r)
        for (size_t v = 0; v < kVectors; ++v) acc[r][v] = _mm512_setzero_si512();
    const size_t kfull = k / kKw * kKw;
    for (size_t p = 0; p < kfull; p += kKw) {
        __m512i w[kVectors];
        for (size_t v = 0; v < kVectors; ++v) w[v] = _mm512_loadu_si512(wp + 64 * v);
        wp += kNr * kKw;
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
            const __m512i x = _mm512_set1_epi32(load4(a + r * k + p));
            for (size_t v = 0; v < kVectors; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, w[v]);
        }
    }
    if (kfull < k) {  // the last 1..3 bytes of each row, zero-extended (the weights there are zero-padded)
        __m512i w[kVectors];
        for (size_t v = 0; v < kVectors; ++v) w[v] = _mm512_loadu_si512(wp + 64 * v);
        const size_t rest = k - kfull;
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
            const uint8_t* s = a + r * k + kfull;
            const int32_t bytes = s[0] | (rest > 1 ? s[1] << 8 : 0) | (rest > 2 ? s[2] << 16 : 0);
            const __m512i x = _mm512_set1_epi32(bytes);
            for (size_t v = 0; v < kVectors; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, w[v]);
        }
    }
    __mmask16 mask[kVectors];
    for (size_t v = 0; v < kVectors; ++v) {
        const size_t first = 16 * v;
        mask[v] = cols >= first + 16 ? __mmask16(0xffff) : cols <= first ? __mmask16(0) : __mmask16((1u << (cols - first)) - 1);
    }
#pragma GCC unroll 16
    for (size_t r = 0; r < R; ++r)
        for (size_t v = 0; v < kVectors; ++v) _mm512_mask_storeu_epi32(c + r * ldc + 16 * v, mask[v], acc[r][v]);
}

using TileFn = void (*)(const uint8_t*, size_t, const int8_t*, int32_t*, size_t, size_t);
template <size_t... R>
constexpr auto tile_table(std::index_sequence<R...>) {
    return std::array<TileFn, sizeof...(R) + 1>{nullptr, tile<R + 1>...};
}
constexpr auto kTiles = tile_table(std::make_index_sequence<kMr>());

}  // namespace

size_t u8s8_gemm_s32_avx512vnni_packed_bytes(size_t n, size_t k) { return up(n, kNr) * up(k, kKw); }

void u8s8_gemm_s32_avx512vnni_pack(const int8_t* w, size_t n, size_t k, int8_t* packed) {
    pack_interleaved(w, n, k, kNr, kKw, up(k, kKw), packed);
}

void u8s8_gemm_s32_avx512vnni(const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c,
                              size_t ldc) {
    const size_t block_bytes = kNr * up(k, kKw), blocks = up(n, kNr) / kNr;
    const size_t chunk = block_bytes == 0 || block_bytes >= kL2Bytes ? 1 : kL2Bytes / block_bytes;
    for (size_t b0 = 0; b0 < blocks; b0 += chunk) {
        const size_t b1 = smaller(blocks, b0 + chunk);
        for (size_t i = 0; i < m; i += kMr) {
            const TileFn fn = kTiles[smaller(kMr, m - i)];
            for (size_t b = b0; b < b1; ++b)
                fn(a + i * k, k, packed + b * block_bytes, c + i * ldc + b * kNr, ldc, smaller(kNr, n - b * kNr));
        }
    }
}

}  // namespace edgembed::quant
