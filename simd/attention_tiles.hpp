// Attention with an online softmax (the flash-attention recurrence), written once for f32_attention and
// bf16_attention (contracts: kernel_list.inc): query blocks of kAttentionRows rows stream over key tiles of
// kAttentionKeys keys. A Products type holds the operands in its own layout (copied once per call: K^T and
// for bf16 V, O(keys x d) per thread) and computes a tile's two products: S = scale (Q K^T) over the tile's
// keys, and O += P V. The rest is this file's: the row max, P = exp(S - max), the running sums in 16 lanes
// with lanes16.hpp's fixed tree, the rescalings; with bf16 products P is rounded to bf16 and exp is the row
// kernels' (f32_math.hpp), so that every ISA and architecture (the scalar one too) does the same float
// operations; f32 takes xsimd's exp (fused multiply-adds). Key tiles are the text's keys [128 t, 128 (t + 1)),
// whatever rows a call or block holds, so a row's tiles, lanes and pairs, and so its bits, do not depend on the
// batch around its text or on where chunks cut it. Per tile and per query head of the group, S covers the
// tile's part of the block's key range (the union of its rows' ranges, widened down to a multiple of 16 keys
// and up to an even count where the keys allow: bf16 products pair the keys); keys outside a row's own range
// are masked (P = 0). Then per row the running max moves to the tile's, the running sum
// and the output row are rescaled by exp(old - new), P = exp(S - max) joins the sum, and out += P V. The
// heads of a group (grouped-query attention) take their turns on each K / V tile while it is in cache, each
// with the arithmetic of a group of one. The output rows are the accumulators; Products copies the block's
// query rows first, so out may overwrite them.
//
// Products(k, v, ldkv, keys, d, heads): k / v point at the call's first key, keys of them.
//   kBf16: P rounded to bf16 (simd/bf16.h), exp from f32_math.hpp.
//   load_queries(head, q, ldq, rows): the block's query rows of one head (q at its first row and column).
//   scores(head, rows, key, cols, scale, s, lds): s[r][c] = scale * (q_r . k_{key + c}) for c < cols.
//   add_context(rows, p, ldp, key, cols, o, ldo): o[r] += sum_{c < cols} p[r][c] v_{key + c}.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "simd/f32_math.hpp"
#include "simd/lanes16.hpp"

namespace edgembed::simd::generic {

constexpr size_t kAttentionRows = 32, kAttentionKeys = 128;

// A per-thread buffer of at least n elements for Owner's slot Slot, grown and never shrunk: no allocation
// (nor page faults) per call.
template <class Owner, class T, int Slot>
T* attention_buffer(size_t n) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}

// exp_f32 of one float through Arch's registers (exp_f32 on scalar_arch here would be a single copy shared by
// every ISA's file, compiled for any one of them).
template <class Arch>
float exp_one(float x) {
    using P = Part<Arch>;
    alignas(64) float lanes[P::W];
    P::store(exp_f32<Arch>(typename P::F(x)), lanes);
    return lanes[0];
}

template <class Arch, class Products>
void attention_tiles(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv, const float* bias,
                     float scale, size_t first, size_t m, size_t keys, size_t before, size_t after, size_t d,
                     size_t heads, float* out, size_t ldo) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    const float neg_inf = -std::numeric_limits<float>::infinity();
    if (m == 0) return;
    alignas(64) float s[kAttentionRows * kAttentionKeys];
    float* const row_max = attention_buffer<Products, float, -1>(2 * kAttentionRows * heads);  // [heads][rows]
    float* const row_sum = row_max + kAttentionRows * heads;
    // Key range [lo, hi) of query row i (before / after may exceed keys: no overflow).
    auto lo_of = [&](size_t i) { return i - (before < i ? before : i); };
    auto hi_of = [&](size_t i) { return keys - i - 1 <= after ? keys : i + after + 1; };
    auto down = [&](size_t key) { return key / S * S; };  // a multiple of 16: fixed lanes, even pairs
    const size_t call_lo = down(lo_of(first)), call_hi = hi_of(first + m - 1);  // the union of the rows' ranges
    Products products(k + call_lo * ldkv, v + call_lo * ldkv, ldkv, call_hi - call_lo, d, heads);
    auto count_at = [](size_t c, size_t cols) { return cols - c < S ? cols - c : S; };
    // Masks row i's logits in sr (columns c: keys j0 + c) outside its range, adds the bias, and returns the
    // max over the row's keys, which may drop a NaN among them (it then reaches the sum and the output through
    // exp), or -inf; `nan` tells whether the row's keys hold a NaN when the max is -inf.
    auto mask_row = [&](float* sr, size_t i, size_t j0, size_t cols, bool& nan) {
        const size_t a = lo_of(i), b = hi_of(i);
        const size_t ca = a > j0 ? (a - j0 < cols ? a - j0 : cols) : 0;  // the row's keys: columns [ca, cb)
        const size_t cb = b > j0 ? (b - j0 < cols ? b - j0 : cols) : 0;
        for (size_t c = 0; c < ca; ++c) sr[c] = neg_inf;
        for (size_t c = cb; c < cols; ++c) sr[c] = neg_inf;
        if (bias)
            for (size_t c = ca; c < cb; ++c) sr[c] += scale * bias[static_cast<ptrdiff_t>(j0 + c) - static_cast<ptrdiff_t>(i)];
        L vmax = L::splat(neg_inf);
        for (size_t c = 0; c < cols; c += S) vmax = max(vmax, L::load_n(sr + c, count_at(c, cols), neg_inf));
        const float tile_max = vmax.max_lane();
        nan = false;
        if (tile_max == neg_inf)
            for (size_t c = ca; c < cb; ++c) nan |= std::isnan(sr[c]);
        return tile_max;
    };
    for (size_t r0 = 0; r0 < m; r0 += kAttentionRows) {
        const size_t rows = m - r0 < kAttentionRows ? m - r0 : kAttentionRows;
        const size_t i0 = first + r0;
        const size_t rows_lo = lo_of(i0), rows_hi = hi_of(i0 + rows - 1);  // the block's keys, then widened
        const size_t lo = down(rows_lo), hi = std::min(rows_hi + (rows_hi - lo) % 2, call_hi);
        for (size_t head = 0; head < heads; ++head) products.load_queries(head, q + r0 * ldq + head * d, ldq, rows);
        for (size_t head = 0; head < heads; ++head)
            for (size_t r = 0; r < rows; ++r) {
                row_max[head * kAttentionRows + r] = neg_inf;
                row_sum[head * kAttentionRows + r] = 0.0f;
                float* o = out + (r0 + r) * ldo + head * d;
                for (size_t c = 0; c < d; ++c) o[c] = 0.0f;
            }
        for (size_t tile = lo / kAttentionKeys * kAttentionKeys; tile < hi; tile += kAttentionKeys) {
            const size_t j0 = std::max(tile, lo), cols = std::min(tile + kAttentionKeys, hi) - j0;
            for (size_t head = 0; head < heads; ++head) {
                float* const maxima = row_max + head * kAttentionRows;
                float* const sums = row_sum + head * kAttentionRows;
                float* const o = out + r0 * ldo + head * d;
                products.scores(head, rows, j0 - call_lo, cols, scale, s, kAttentionKeys);
                for (size_t r = 0; r < rows; ++r) {
                    float* sr = s + r * kAttentionKeys;
                    bool nan;
                    const float tile_max = mask_row(sr, i0 + r, j0, cols, nan);
                    if (tile_max == neg_inf && !nan) {  // none of this row's keys here: P's row is 0
                        for (size_t c = 0; c < cols; ++c) sr[c] = 0.0f;
                        continue;
                    }
                    const float new_max = maxima[r] > tile_max ? maxima[r] : tile_max;
                    const float correction = exp_one<Arch>(maxima[r] - new_max);  // 0 on the row's first tile
                    const L vmax = L::splat(new_max);
                    L vsum = L::splat(0.0f);
                    for (size_t c = 0; c < cols; c += S) {
                        const L p = (L::load_n(sr + c, count_at(c, cols), neg_inf) - vmax).each([](auto x) {
                            if constexpr (Products::kBf16) return Part<Arch>::round_to_bf16(exp_f32<Arch>(x));
                            else return xsimd::exp(x);
                        });
                        vsum = vsum + p;  // the padding lanes' exp(-inf) is 0
                        p.store_n(sr + c, count_at(c, cols));
                    }
                    sums[r] = sums[r] * correction + vsum.sum();
                    if (correction != 1.0f && maxima[r] != neg_inf)
                        for (size_t c = 0; c < d; ++c) o[r * ldo + c] *= correction;
                    maxima[r] = new_max;
                }
                products.add_context(rows, s, kAttentionKeys, j0 - call_lo, cols, o, ldo);
            }
        }
        for (size_t head = 0; head < heads; ++head)
            for (size_t r = 0; r < rows; ++r) {
                const float inverse = 1.0f / row_sum[head * kAttentionRows + r];
                float* o = out + (r0 + r) * ldo + head * d;
                for (size_t c = 0; c < d; ++c) o[c] *= inverse;
            }
    }
}

}  // namespace edgembed::simd::generic
