// exp and erf for the row kernels, one register (Part<Arch>::F: an xsimd batch, or a float on the scalar
// ISA) at a time. Separate multiplies and adds only, no fused multiply-add: SSE2 and the scalar ISA have
// none, so these give the same bits on every ISA and architecture (compiled with -ffp-contract=off).
// exp: Cephes' expf (range reduction by ln 2 in two parts, degree-5 polynomial), within 2 ulp.
// erf: Boost.SIMD's float erf (as xsimd uses it), within a few ulp.
#pragma once

#include "simd/lanes16.hpp"

namespace edgembed::simd::generic {

// p(x) = c[0] + x (c[1] + x (c[2] + ...)).
template <class F, size_t N>
inline F horner(F x, const float (&c)[N]) {
    F p(c[N - 1]);
    for (size_t i = N - 1; i-- > 0;) p = p * x + F(c[i]);
    return p;
}

// exp(x) for x <= 0 (NaN stays NaN): Cephes' range reduction and polynomial; x is clamped at -88, where
// 2^n reaches 2^-127, whose bits are zero: results below about 2^-126.5 (and exp(-inf)) are 0.
template <class Arch>
inline typename Part<Arch>::F exp_f32(typename Part<Arch>::F x) {
    using P = Part<Arch>;
    using F = typename P::F;
    constexpr float lowest = -88.0f, magic = 0x1.8p+23f;
    constexpr float log2e = 0x1.715476p+0f, ln2_high = 0x1.63p-1f, ln2_low = -0x1.bd0106p-13f;
    static constexpr float c[] = {0x1.000000p-1f, 0x1.555554p-3f, 0x1.555382p-5f,
                                  0x1.111210p-7f, 0x1.6e879cp-10f, 0x1.a0d2cep-13f};
    const F clamped = P::max_keep_nan(F(lowest), x);
    const F t = clamped * F(log2e) + F(magic);  // rounds x log2(e) to an integer n (ties to even)
    const F n = t - F(magic);
    const F r = (clamped - n * F(ln2_high)) - n * F(ln2_low);
    const F y = horner(r, c) * (r * r) + r + F(1.0f);
    return y * P::pow2_from_magic(t, magic);
}

// erf(x): x erf1(x^2) below |x| = 2/3, else 1 - exp(-x^2) erfc2(|x| / (1 + |x|) - 0.4) with x's sign;
// erf(+-inf) = +-1.
template <class Arch>
inline typename Part<Arch>::F erf_f32(typename Part<Arch>::F x) {
    using P = Part<Arch>;
    using F = typename P::F;
    static constexpr float erf1[] = {0x1.20dd74p+0f, -0x1.8126fcp-2f, 0x1.ce1e44p-4f,
                                     -0x1.b6c3e8p-6f, 0x1.488d1ap-8f, -0x1.3f9076p-11f};
    static constexpr float erfc2[] = {0x1.141d16p-1f, -0x1.2314c4p+0f, 0x1.487050p-3f, 0x1.8994dcp-2f,
                                      0x1.22eb8ep-3f, 0x1.400de0p-3f, -0x1.5d50cap+0f, 0x1.a160c6p+1f,
                                      -0x1.9a350ap+2f, 0x1.acfc76p+2f, -0x1.506c22p+1f};
    const F a = P::abs(x);
    const F small = x * horner(x * x, erf1);
    const F z = P::divide(a, F(1.0f) + a) - F(0.4f);
    const F large = P::copysign_of(F(1.0f) - exp_f32<Arch>(F(0.0f) - a * a) * horner(z, erfc2), x);
    return P::is_inf_select(x, P::copysign_of(F(1.0f), x), P::less_select(a, F(2.0f / 3.0f), small, large));
}

}  // namespace edgembed::simd::generic
