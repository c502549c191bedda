// Every kernel tolerance in one place, derived from the arithmetic rather than picked:
// u = FLT_EPSILON / 2 is the unit roundoff; a float sum of n terms is off by at most about n*u relative
// (the lane-parallel sums the kernels use are tighter, so these bounds are safe on every ISA).
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>

namespace edgembed::test {

inline constexpr double kUnitRoundoff = FLT_EPSILON / 2.0;
// xsimd's exp and erf are within a few ulp; 8 ulp leaves room for argument rounding.
inline constexpr double kTranscendentalUlps = 8.0;

// softmax: each output is exp(..)/sum: the exp's ulps, the scaled logit's rounding (amplified by
// |logit|), and the n-term sum.
inline double softmax_tolerance(double reference, double max_abs_logit, size_t n) {
    return reference * (kTranscendentalUlps + 2.0 * max_abs_logit + static_cast<double>(n) + 4.0) * kUnitRoundoff * 2.0;
}

// layernorm: mean and variance are n-term sums; their relative error carries into every output,
// plus a rounding each for the scale, gamma and beta.
inline double layernorm_tolerance(double reference, double beta, size_t n) {
    return (static_cast<double>(n) + 16.0) * kUnitRoundoff * (std::fabs(reference) + 2.0 * std::fabs(beta));
}

// GELU: 1 + erf(x/sqrt 2) cancels for negative x, so the erf's absolute error scales with |x|/2.
inline double gelu_tolerance(double reference, double x) {
    return 2.0 * kTranscendentalUlps * kUnitRoundoff * (std::fabs(x) + std::fabs(reference)) + 1e-37;
}

inline double sum_squares_tolerance(double reference, size_t n) {
    return (static_cast<double>(n) + 4.0) * kUnitRoundoff * reference;
}

// s32 -> f32 dequantization: int->float conversion (exact below 2^24, else one rounding), the product
// of the two scales, the fused multiply-add and the residual add: a few roundings of the largest term.
inline double dequantize_tolerance(double scaled_accumulator, double bias, double residual) {
    return 6.0 * kUnitRoundoff * (std::fabs(scaled_accumulator) + std::fabs(bias) + std::fabs(residual));
}

// bf16 attention products (quant/attention_bf16.h) against the exact sum of the same bf16-rounded
// products: the products of two bf16 values are exact in f32, so only the f32 accumulation of n terms
// rounds (n * u of the sum of |products|), plus one rounding of the stored result.
inline double bf16_dot_tolerance(double sum_abs_products, size_t n) {
    return (static_cast<double>(n) + 2.0) * kUnitRoundoff * sum_abs_products + 1e-30;
}

// f32 GEMM (f32_gemm_nt / f32_gemm_nn): a k-term float sum against a double reference (k * u of the sum
// of |products|), the alpha scaling and the accumulate add (a rounding each, of the largest term).
inline double gemm_tolerance(double sum_abs_products, double alpha, double previous, size_t k) {
    return (static_cast<double>(k) + 4.0) * kUnitRoundoff * std::fabs(alpha) * sum_abs_products +
           4.0 * kUnitRoundoff * std::fabs(previous) + 1e-30;
}

}  // namespace edgembed::test
