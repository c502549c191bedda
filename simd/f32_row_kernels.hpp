// The row kernels whose results feed int8 activation quantization (softmax, LayerNorm, RMSNorm, GELU, SiLU, the
// rotary embedding) and the final normalization's sum of squares, written once on Lanes16 so that every ISA
// (the scalar one too: simd/ref instantiates them with scalar_arch) gives the same bits: reductions in 16 lanes combined in a
// fixed tree, exp / erf without fused multiply-adds (f32_math.hpp), tails through the same 16-lane code
// on a padded copy. Semantics: simd/kernel_list.inc.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/f32_math.hpp"
#include "simd/lanes16.hpp"

namespace edgembed::simd::generic {

template <class Arch>
void f32_softmax(const float* x, const float* mask, float scale, float* y, size_t n) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    const float neg_inf = -std::numeric_limits<float>::infinity();
    const L vscale = L::splat(scale);
    auto logits = [&](size_t i, size_t count) {
        L v = L::load_n(x + i, count, 0.0f) * vscale;
        if (mask) v = v + L::load_n(mask + i, count, 0.0f);
        return v.with_tail(count, neg_inf);  // padding lanes must not win the max nor add to the sum
    };
    // A NaN logit need not reach the max (x86's maxps may drop it): it makes its exp, the sum and so every
    // output NaN below.
    L vmax = L::splat(neg_inf);
    for (size_t i = 0; i < n; i += S) vmax = max(vmax, logits(i, n - i < S ? n - i : S));
    const float m = vmax.max_lane();
    if (std::isnan(m) || m == std::numeric_limits<float>::infinity()) {
        for (size_t i = 0; i < n; ++i) y[i] = std::numeric_limits<float>::quiet_NaN();
        return;
    }
    if (m == neg_inf) {  // a fully masked row: zeros, unless the max dropped a NaN among the -inf
        bool nan = false;
        for (size_t i = 0; i < n; ++i) nan |= std::isnan(x[i] * scale + (mask ? mask[i] : 0.0f));
        for (size_t i = 0; i < n; ++i) y[i] = nan ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
        return;
    }
    const L vm = L::splat(m);
    L vsum = L::splat(0.0f);
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        const L e = (logits(i, count) - vm).each([](auto v) { return exp_f32<Arch>(v); });  // padding: exp(-inf) = 0
        vsum = vsum + e;
        e.store_n(y + i, count);
    }
    const L inv = L::splat(1.0f / vsum.sum());
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        (L::load_n(y + i, count, 0.0f) * inv).store_n(y + i, count);
    }
}

template <class Arch>
void f32_layernorm(const float* x, const float* gamma, const float* beta, float eps, float* y, size_t n) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    L vsum = L::splat(0.0f);
    for (size_t i = 0; i < n; i += S) vsum = vsum + L::load_n(x + i, n - i < S ? n - i : S, 0.0f);
    const float mean = vsum.sum() / static_cast<float>(n);
    const L vmean = L::splat(mean);
    L vvar = L::splat(0.0f);
    for (size_t i = 0; i < n; i += S) {
        const L d = L::load_n(x + i, n - i < S ? n - i : S, mean) - vmean;  // padding with the mean adds 0
        vvar = vvar + d * d;
    }
    const L vinv = L::splat(1.0f / std::sqrt(vvar.sum() / static_cast<float>(n) + eps));
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        const L v = (L::load_n(x + i, count, 0.0f) - vmean) * vinv;
        (v * L::load_n(gamma + i, count, 0.0f) + L::load_n(beta + i, count, 0.0f)).store_n(y + i, count);
    }
}

template <class Arch>
float f32_sum_squares(const float* x, size_t n) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    L acc = L::splat(0.0f);
    for (size_t i = 0; i < n; i += S) {
        const L v = L::load_n(x + i, n - i < S ? n - i : S, 0.0f);
        acc = acc + v * v;
    }
    return acc.sum();
}

template <class Arch>
void f32_rmsnorm(const float* x, const float* gamma, float eps, float* y, size_t n) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    const L vinv = L::splat(1.0f / std::sqrt(f32_sum_squares<Arch>(x, n) / static_cast<float>(n) + eps));
    for (size_t i = 0; i < n; i += S) {  // (x r) gamma, transformers' order
        const size_t count = n - i < S ? n - i : S;
        (L::load_n(x + i, count, 0.0f) * vinv * L::load_n(gamma + i, count, 0.0f)).store_n(y + i, count);
    }
}

template <class Arch>
void f32_gelu(const float* x, float* y, size_t n) {
    using L = Lanes16<Arch>;
    using F = typename L::F;
    constexpr size_t S = L::kLanes;
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        L::load_n(x + i, count, 0.0f)
            .each([](F v) { return F(0.5f) * v * (F(1.0f) + erf_f32<Arch>(v * F(0.70710678118654752440f))); })
            .store_n(y + i, count);
    }
}

// x sigmoid(x) with e = exp(-|x|) (no overflow): x / (1 + e) for x >= 0, x e / (1 + e) below.
template <class Arch>
void f32_silu(const float* x, float* y, size_t n) {
    using L = Lanes16<Arch>;
    using P = Part<Arch>;
    using F = typename L::F;
    constexpr size_t S = L::kLanes;
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        L::load_n(x + i, count, 0.0f)
            .each([](F v) {
                const F e = exp_f32<Arch>(F(0.0f) - P::abs(v));
                return P::divide(v * P::less_select(v, F(0.0f), e, F(1.0f)), F(1.0f) + e);
            })
            .store_n(y + i, count);
    }
}

// GELU's tanh form as x sigmoid(t), t = x (c1 + c2 x^2) = 2 sqrt(2/pi) (x + 0.044715 x^3) (0.5 (1 + tanh(t / 2)) is
// sigmoid(t)), with e = exp(-|t|) as in f32_silu: x / (1 + e) for t >= 0, x e / (1 + e) below.
template <class Arch>
void f32_gelu_tanh(const float* x, float* y, size_t n) {
    using L = Lanes16<Arch>;
    using P = Part<Arch>;
    using F = typename L::F;
    constexpr size_t S = L::kLanes;
    constexpr float c1 = 1.59576912160573071f;          // 2 sqrt(2 / pi)
    constexpr float c2 = 1.59576912160573071f * 0.044715f;
    for (size_t i = 0; i < n; i += S) {
        const size_t count = n - i < S ? n - i : S;
        L::load_n(x + i, count, 0.0f)
            .each([](F v) {
                const F t = v * (F(c1) + F(c2) * (v * v));
                const F e = exp_f32<Arch>(F(0.0f) - P::abs(t));
                return P::divide(v * P::less_select(t, F(0.0f), e, F(1.0f)), F(1.0f) + e);
            })
            .store_n(y + i, count);
    }
}

// Rotary embedding: two products and a sum each, unfused (the rotated queries and keys feed int8 models'
// bf16 attention, whose bits must not depend on the ISA).
template <class Arch>
void f32_rope(float* x, const float* cos, const float* sin, size_t half) {
    using L = Lanes16<Arch>;
    constexpr size_t S = L::kLanes;
    float* x2 = x + half;
    for (size_t i = 0; i < half; i += S) {
        const size_t count = half - i < S ? half - i : S;
        const L a = L::load_n(x + i, count, 0.0f), b = L::load_n(x2 + i, count, 0.0f);
        const L c = L::load_n(cos + i, count, 0.0f), s = L::load_n(sin + i, count, 0.0f);
        (a * c - b * s).store_n(x + i, count);
        (b * c + a * s).store_n(x2 + i, count);
    }
}

}  // namespace edgembed::simd::generic
