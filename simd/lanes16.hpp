// Sixteen float lanes on every ISA, so that a reduction's order does not depend on the vector width:
// element i of a row always lands in lane i % 16, and the lanes are summed in one fixed tree (lane l
// plus lane l + 8, then + 4, + 2, + 1). AVX-512 holds the 16 lanes in one register, AVX2 in two, SSE2
// and NEON in four, the scalar ISA in sixteen floats; the arithmetic is the same on each, which makes
// the row kernels built on it (f32_row_kernels.hpp) bit-identical across ISAs and architectures.
// Files using this must be compiled with -ffp-contract=off (simd/CMakeLists.txt): a multiply and an add
// that the compiler fused on some ISAs only would break that.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "simd/bf16.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace edgembed::simd::generic {

// The scalar ISA's "architecture": one float per part.
struct scalar_arch {};

// One register of an ISA: its float type, lane count and the few operations the row kernels need.
template <class Arch>
struct Part {
    using F = xsimd::batch<float, Arch>;
    using I = xsimd::batch<int32_t, Arch>;
    static constexpr size_t W = F::size;
    static F load(const float* p) { return F::load_unaligned(p); }
    static void store(F v, float* p) { v.store_unaligned(p); }
    static F less_select(F a, F b, F x, F y) { return xsimd::select(a < b, x, y); }  // a < b ? x : y
    // max(bound, v) for a constant bound; NaN when v is NaN (x86's maxps returns its second operand when
    // either is NaN, NEON's fmax NaN).
    static F max_keep_nan(F bound, F v) { return xsimd::max(bound, v); }
    static F abs(F v) { return xsimd::abs(v); }
    // a / b correctly rounded: xsimd 8.1 divides NEON floats through a refined reciprocal estimate.
    static F divide(F a, F b) {
#if defined(__aarch64__)
        if constexpr (W == 4) return F(vdivq_f32(a, b));
#endif
        return a / b;
    }
    static F copysign_of(F magnitude, F sign) { return xsimd::copysign(magnitude, sign); }
    static F is_inf_select(F v, F x, F y) { return xsimd::select(xsimd::isinf(v), x, y); }
    // 2^n for t = n + magic (|n| < 2^22, magic = 1.5 * 2^23): n sits in t's low mantissa bits.
    static F pow2_from_magic(F t, float magic) {
        const I n = xsimd::bitwise_cast<I>(t) - xsimd::bitwise_cast<I>(F(magic));
        return xsimd::bitwise_cast<F>((n + I(127)) << 23);
    }
    // v rounded to bf16 and back: simd/bf16.h's rounding (to nearest even, NaN quiet, denormals to zeros of
    // their sign) in integer lanes.
    static F round_to_bf16(F v) {
        const I u = xsimd::bitwise_cast<I>(v), high = I(static_cast<int32_t>(0xffff0000u));
        const I rounded = (u + I(0x7fff) + ((u >> 16) & I(1))) & high;
        const I nan = (u | I(0x00400000)) & high, zero = u & I(static_cast<int32_t>(0x80000000u));
        const I r = xsimd::select((u & I(0x7fffffff)) > I(0x7f800000), nan,
                                  xsimd::select((u & I(0x7f800000)) == I(0), zero, rounded));
        return xsimd::bitwise_cast<F>(r);
    }
};

template <>
struct Part<scalar_arch> {
    using F = float;
    static constexpr size_t W = 1;
    static F load(const float* p) { return *p; }
    static void store(F v, float* p) { *p = v; }
    static F less_select(F a, F b, F x, F y) { return a < b ? x : y; }
    static F max_keep_nan(F bound, F v) { return v < bound ? bound : v; }
    static F abs(F v) { return std::fabs(v); }
    static F divide(F a, F b) { return a / b; }
    static F copysign_of(F magnitude, F sign) { return std::copysign(magnitude, sign); }
    static F is_inf_select(F v, F x, F y) { return std::isinf(v) ? x : y; }
    static F pow2_from_magic(F t, float magic) {
        int32_t bits, magic_bits;
        std::memcpy(&bits, &t, sizeof bits);
        std::memcpy(&magic_bits, &magic, sizeof magic_bits);
        const uint32_t out = static_cast<uint32_t>(bits - magic_bits + 127) << 23;
        float f;
        std::memcpy(&f, &out, sizeof f);
        return f;
    }
    static F round_to_bf16(F v) {
        float r;
        simd::round_to_bf16(&v, &r, 1);
        return r;
    }
};

template <class Arch>
struct Lanes16 {
    using P = Part<Arch>;
    using F = typename P::F;
    static constexpr size_t kLanes = 16, W = P::W, K = kLanes / W;
    static_assert(K * W == kLanes, "16 lanes must be a whole number of registers");
    F part[K];

    static Lanes16 splat(float x) {
        Lanes16 r;
        for (size_t k = 0; k < K; ++k) r.part[k] = F(x);
        return r;
    }
    static Lanes16 load(const float* p) {
        Lanes16 r;
        for (size_t k = 0; k < K; ++k) r.part[k] = P::load(p + k * W);
        return r;
    }
    // The first n (< 16) elements of p, the other lanes `fill`.
    static Lanes16 load_tail(const float* p, size_t n, float fill) {
        alignas(64) float buffer[kLanes];
        for (size_t i = 0; i < kLanes; ++i) buffer[i] = i < n ? p[i] : fill;
        return load(buffer);
    }
    // count == 16: a whole load; else load_tail with `fill`.
    static Lanes16 load_n(const float* p, size_t count, float fill) {
        return count == kLanes ? load(p) : load_tail(p, count, fill);
    }
    void store(float* p) const {
        for (size_t k = 0; k < K; ++k) P::store(part[k], p + k * W);
    }
    void store_n(float* p, size_t count) const {
        if (count == kLanes) return store(p);
        alignas(64) float buffer[kLanes];
        store(buffer);
        for (size_t i = 0; i < count; ++i) p[i] = buffer[i];
    }
    // Lanes from `count` on set to `fill`.
    Lanes16 with_tail(size_t count, float fill) const {
        if (count == kLanes) return *this;
        alignas(64) float buffer[kLanes];
        store(buffer);
        for (size_t i = count; i < kLanes; ++i) buffer[i] = fill;
        return load(buffer);
    }

    template <class Op>
    static Lanes16 apply(const Lanes16& a, const Lanes16& b, Op op) {
        Lanes16 r;
        for (size_t k = 0; k < K; ++k) r.part[k] = op(a.part[k], b.part[k]);
        return r;
    }
    template <class Op>
    Lanes16 each(Op op) const {
        Lanes16 r;
        for (size_t k = 0; k < K; ++k) r.part[k] = op(part[k]);
        return r;
    }
    friend Lanes16 operator+(const Lanes16& a, const Lanes16& b) { return apply(a, b, [](F x, F y) { return x + y; }); }
    friend Lanes16 operator-(const Lanes16& a, const Lanes16& b) { return apply(a, b, [](F x, F y) { return x - y; }); }
    friend Lanes16 operator*(const Lanes16& a, const Lanes16& b) { return apply(a, b, [](F x, F y) { return x * y; }); }
    // The larger of a and b lane by lane; of a NaN and a number, either (the callers do not depend on it).
    friend Lanes16 max(const Lanes16& a, const Lanes16& b) {
        return apply(a, b, [](F x, F y) { return P::max_keep_nan(x, y); });
    }

    // The fixed tree: registers first (their lanes are l and l + W * k), then the lanes of the last one.
    float sum() const {
        F fold[K];
        for (size_t k = 0; k < K; ++k) fold[k] = part[k];
        for (size_t half = K / 2; half >= 1; half /= 2)
            for (size_t k = 0; k < half; ++k) fold[k] = fold[k] + fold[k + half];
        alignas(64) float lanes[W];
        P::store(fold[0], lanes);
        for (size_t half = W / 2; half >= 1; half /= 2)
            for (size_t i = 0; i < half; ++i) lanes[i] = lanes[i] + lanes[i + half];
        return lanes[0];
    }
    float max_lane() const {
        alignas(64) float lanes[kLanes];
        store(lanes);
        float m = lanes[0];
        for (size_t i = 1; i < kLanes; ++i) m = lanes[i] > m ? lanes[i] : m;
        return m;
    }
};

}  // namespace edgembed::simd::generic
