// s8 x s8 -> s32 GEMM for aarch64, two kernels (this file is compiled for the baseline Armv8.0; the dot
// product kernel alone carries a function-level target attribute, so it must run only where
// simd::cpu_has_arm_dotprod()):
//
// s8_gemm_s32_neon (Armv8.0 Advanced SIMD): vmull_s8 / vmull_high_s8 give exact int16 products,
//   vpadalq_s16 adds them pairwise into int32 lanes (never vmlal_s8: an int16 sum of two products
//   overflows at (-128)^2 + (-128)^2). Weights in blocks of 4 output channels x 16 k (64 bytes per step);
//   a 4 x 4 tile keeps one int32x4 per (row, channel) and reduces the four lanes at the end.
// s8_gemm_s32_neondot (Armv8.2 dotprod): vdotq_laneq_s32 adds four products per lane, the activations'
//   four bytes taken by lane. Weights in blocks of 16 output channels x 4 k (64 bytes per step); a 4 x 16
//   tile keeps 16 accumulators, no reduction.
//
// Both read 16 bytes of an activation row per step (the k tail through a zero-padded copy, so nothing is
// read past a row) and pad the weights' k to 16 with zeros. Output channels go in chunks whose weights stay
// in L2 while every 4-row panel passes over them.
#include <arm_neon.h>

#include <cstring>

#include "quant/int8_gemm_kernels.h"

#define EDGEMBED_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

namespace edgembed::quant {
namespace {

constexpr size_t kMr = 4;                // rows per tile (both kernels)
constexpr size_t kKc = 16;               // k per step (one q register of activations)
constexpr size_t kL2Bytes = 128 * 1024;  // packed weights per chunk of output channels

inline size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }
inline size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

// The last k % 16 activations of R rows, zero-padded to 16 bytes (copied before the accumulators are live,
// so the main loop has no call and no branch; the weights past k are zero-padded too).
template <size_t R>
inline void copy_tails(const int8_t* a, size_t k, size_t kfull, int8_t (&tail)[R][kKc]) {
    for (size_t r = 0; r < R; ++r) {
        for (size_t q = 0; q < kKc; ++q) tail[r][q] = 0;
        if (kfull < k) std::memcpy(tail[r], a + r * k + kfull, k - kfull);
    }
}

template <size_t Cols>
inline void store_row(int32_t* row, const int32x4_t (&v)[Cols / 4], size_t cols) {
    if (cols == Cols) {
        for (size_t j = 0; j < Cols / 4; ++j) vst1q_s32(row + 4 * j, v[j]);
    } else {
        int32_t tmp[Cols];
        for (size_t j = 0; j < Cols / 4; ++j) vst1q_s32(tmp + 4 * j, v[j]);
        std::memcpy(row, tmp, cols * sizeof(int32_t));
    }
}

// Splits C into chunks of output-channel blocks x 4-row panels and calls tiles[rows] on each.
template <class TileFn>
void drive(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc, size_t nr,
           const TileFn (&tiles)[kMr + 1]) {
    const size_t block_bytes = nr * up(k, kKc), blocks = up(n, nr) / nr;
    const size_t chunk = block_bytes == 0 || block_bytes >= kL2Bytes ? 1 : kL2Bytes / block_bytes;
    for (size_t b0 = 0; b0 < blocks; b0 += chunk) {
        const size_t b1 = smaller(blocks, b0 + chunk);
        for (size_t i = 0; i < m; i += kMr) {
            const TileFn fn = tiles[smaller(kMr, m - i)];
            for (size_t b = b0; b < b1; ++b)
                fn(a + i * k, k, packed + b * block_bytes, c + i * ldc + b * nr, ldc, smaller(nr, n - b * nr));
        }
    }
}

// ---- Armv8.0: vmull + vpadal, 4 rows x 4 channels x 16 k ----

constexpr size_t kNrMull = 4;

template <size_t R>
inline __attribute__((always_inline)) void mull_step(int32x4_t (&acc)[R][kNrMull], const int8x16_t (&x)[R], const int8_t* wp) {
    int8x16_t w[kNrMull];
    for (size_t j = 0; j < kNrMull; ++j) w[j] = vld1q_s8(wp + kKc * j);
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < kNrMull; ++j) {
            acc[r][j] = vpadalq_s16(acc[r][j], vmull_s8(vget_low_s8(x[r]), vget_low_s8(w[j])));
            acc[r][j] = vpadalq_s16(acc[r][j], vmull_high_s8(x[r], w[j]));
        }
}

template <size_t R>
void mull_tile(const int8_t* a, size_t k, const int8_t* wp, int32_t* c, size_t ldc, size_t cols) {
    const size_t kfull = k / kKc * kKc;
    int8_t tail[R][kKc];
    copy_tails<R>(a, k, kfull, tail);
    int32x4_t acc[R][kNrMull];
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < kNrMull; ++j) acc[r][j] = vdupq_n_s32(0);
    int8x16_t x[R];
    for (size_t p = 0; p < kfull; p += kKc, wp += kNrMull * kKc) {
        for (size_t r = 0; r < R; ++r) x[r] = vld1q_s8(a + r * k + p);
        mull_step<R>(acc, x, wp);
    }
    if (kfull < k) {
        for (size_t r = 0; r < R; ++r) x[r] = vld1q_s8(tail[r]);
        mull_step<R>(acc, x, wp);
    }
    for (size_t r = 0; r < R; ++r) {
        const int32x4_t sums[1] = {vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]))};
        store_row<kNrMull>(c + r * ldc, sums, cols);
    }
}

using TileFn = void (*)(const int8_t*, size_t, const int8_t*, int32_t*, size_t, size_t);
constexpr TileFn kMullTiles[kMr + 1] = {nullptr, mull_tile<1>, mull_tile<2>, mull_tile<3>, mull_tile<4>};

// ---- Armv8.2 dotprod: sdot by lane, 4 rows x 16 channels x 4 k ----

constexpr size_t kNrDot = 16;
constexpr size_t kKwDot = 4;

template <size_t R, int Lane>
EDGEMBED_DOTPROD inline __attribute__((always_inline)) void dot_lane(int32x4_t (&acc)[R][4], const int8x16_t (&x)[R],
                                                                      const int8_t* wp) {
    const int8_t* w = wp + Lane * kNrDot * kKwDot;
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
    for (size_t r = 0; r < R; ++r) {
        acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, x[r], Lane);
        acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, x[r], Lane);
        acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, x[r], Lane);
        acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, x[r], Lane);
    }
}

template <size_t R>
EDGEMBED_DOTPROD inline __attribute__((always_inline)) void dot_step(int32x4_t (&acc)[R][4], const int8x16_t (&x)[R],
                                                                      const int8_t* wp) {
    dot_lane<R, 0>(acc, x, wp);
    dot_lane<R, 1>(acc, x, wp);
    dot_lane<R, 2>(acc, x, wp);
    dot_lane<R, 3>(acc, x, wp);
}

template <size_t R>
EDGEMBED_DOTPROD void dot_tile(const int8_t* a, size_t k, const int8_t* wp, int32_t* c, size_t ldc, size_t cols) {
    const size_t kfull = k / kKc * kKc;
    int8_t tail[R][kKc];
    copy_tails<R>(a, k, kfull, tail);
    int32x4_t acc[R][4];
    for (size_t r = 0; r < R; ++r)
        for (size_t j = 0; j < 4; ++j) acc[r][j] = vdupq_n_s32(0);
    int8x16_t x[R];
    for (size_t p = 0; p < kfull; p += kKc, wp += kNrDot * kKc) {
        for (size_t r = 0; r < R; ++r) x[r] = vld1q_s8(a + r * k + p);
        dot_step<R>(acc, x, wp);
    }
    if (kfull < k) {
        for (size_t r = 0; r < R; ++r) x[r] = vld1q_s8(tail[r]);
        dot_step<R>(acc, x, wp);
    }
    for (size_t r = 0; r < R; ++r) store_row<kNrDot>(c + r * ldc, acc[r], cols);
}

constexpr TileFn kDotTiles[kMr + 1] = {nullptr, dot_tile<1>, dot_tile<2>, dot_tile<3>, dot_tile<4>};

}  // namespace

size_t s8_gemm_s32_neon_packed_bytes(size_t n, size_t k) { return up(n, kNrMull) * up(k, kKc); }

void s8_gemm_s32_neon_pack(const int8_t* w, size_t n, size_t k, int8_t* packed) {
    pack_interleaved(w, n, k, kNrMull, kKc, up(k, kKc), packed);
}

void s8_gemm_s32_neon(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc) {
    drive(a, m, n, k, packed, c, ldc, kNrMull, kMullTiles);
}

size_t s8_gemm_s32_neondot_packed_bytes(size_t n, size_t k) { return up(n, kNrDot) * up(k, kKc); }

void s8_gemm_s32_neondot_pack(const int8_t* w, size_t n, size_t k, int8_t* packed) {
    pack_interleaved(w, n, k, kNrDot, kKwDot, up(k, kKc), packed);
}

void s8_gemm_s32_neondot(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc) {
    drive(a, m, n, k, packed, c, ldc, kNrDot, kDotTiles);
}

}  // namespace edgembed::quant
