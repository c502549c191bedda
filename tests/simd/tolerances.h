// Every kernel tolerance in one place, derived from the arithmetic rather than picked. Each bounds a
// float kernel's distance from the exact (double) value of its oracle (kernel_oracles.h):
// u = FLT_EPSILON / 2 is the unit roundoff; a float sum of n terms is off by at most (n - 1) u times the
// sum of the terms' magnitudes (the lane-parallel sums the kernels use are tighter, so these bounds hold
// on every ISA); each further float operation adds one u of its result.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>

namespace edgembed::test {

inline constexpr double kUnitRoundoff = FLT_EPSILON / 2.0;
// The row kernels' exp and erf (simd/f32_math.hpp: Cephes' expf, Boost.SIMD's erf, without fused
// multiply-adds) are within a few ulp; 8 ulp leaves room for argument rounding.
inline constexpr double kTranscendentalUlps = 8.0;
// Results below the smallest normal float may flush to zero (exp's underflow path).
inline constexpr double kUnderflow = FLT_MIN;

// softmax y_i = e_i / sum_j e_j, e_i = exp(l_i - max l). The float logit l_i = x_i * scale + mask_i is off
// by up to 2u |l_i| and the max by 2u of the largest |logit| A, so exp's argument is off by 4u A plus a
// rounding of the difference d_i = max l - l_i; exp adds its ulps, the n-term sum n u (its terms are
// positive) and its own terms' argument errors, the reciprocal and the product one u each.
inline double softmax_tolerance(double exact, double max_abs_logit, double distance_from_max, size_t n) {
    const double relative = 4.0 * max_abs_logit + distance_from_max + 2.0 * kTranscendentalUlps +
                            2.0 * static_cast<double>(n) + 4.0;
    return exact * relative * kUnitRoundoff + kUnderflow;
}

// layernorm y_i = d_i * r * gamma_i + beta_i, d_i = x_i - mean, r = 1 / sqrt(var + eps). The float mean
// (an n-term sum of |x| averaging mean_abs_x, then a division) is off by dm = (n + 1) u mean_abs_x, which
// shifts every d_i; var's n-term sum of squares and the divide, add, sqrt and reciprocal make r off by
// about (n / 2 + 4) u relative (the mean's shift cancels to first order in the centred sum); then the
// two products and the add round once each (the first within the (n + 8) u term).
inline double layernorm_tolerance(double exact, double gamma, double centred, double inv_std, double mean_abs_x,
                                  size_t n) {
    const double dm = (static_cast<double>(n) + 1.0) * kUnitRoundoff * mean_abs_x;
    return std::fabs(gamma) * inv_std * (dm + (static_cast<double>(n) + 8.0) * kUnitRoundoff * std::fabs(centred)) +
           2.0 * kUnitRoundoff * std::fabs(exact) + kUnderflow;
}

// RMSNorm y_i = x_i r gamma_i, r = 1 / sqrt(sum x^2 / n + eps): the n-term sum of squares (positive terms)
// is off by (n + 1) u relative, which the square root halves; the divide, add, sqrt and reciprocal add a u
// each, and the two products one each.
inline double rmsnorm_tolerance(double exact, size_t n) {
    return ((static_cast<double>(n) + 1.0) / 2.0 + 6.0) * kUnitRoundoff * std::fabs(exact) + kUnderflow;
}

// SiLU x / (1 + e), or x e / (1 + e) for x < 0, with e = exp(-|x|) (an exact argument): exp's ulps, the
// add, the product and the divide one u each, all relative to the result.
inline double silu_tolerance(double exact) {
    return (kTranscendentalUlps + 4.0) * kUnitRoundoff * std::fabs(exact) + kUnderflow;
}

// GELU x/2 (1 + erf(t)), t = x / sqrt 2: t's two roundings move erf by at most 2u |t| erf'(t) <= u (as
// |t| exp(-t^2) <= 0.43), erf adds its ulps (of |erf| <= 1) and 1 + erf one u: all absolute errors of
// 1 + erf, which cancels for negative x, so the bound scales with |x| / 2; the product adds u |y|.
inline double gelu_tolerance(double exact, double x) {
    return (kTranscendentalUlps + 3.0) * kUnitRoundoff * std::fabs(x) / 2.0 + 2.0 * kUnitRoundoff * std::fabs(exact) +
           kUnderflow;
}

// GELU's tanh form x s(t), s the logistic function, t = x (c1 + c2 x^2) (= 2 sqrt(2/pi) (x + 0.044715 x^3)): the
// constants, the square, the two products and the add put t off by 6 u relative, which moves s(t) by
// |t| (1 - s(t)) times that relatively; exp's ulps and the add, product and divide (one u each) are
// relative to the result, as in SiLU. t reaches exp's flush to zero (about -88) already at x = -10: the
// product x e then loses up to |x| times the underflow.
inline double gelu_tanh_tolerance(double exact, double x) {
    const double t = 2.0 * std::sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
    const double sensitivity = std::fabs(t) * (t > 0.0 ? 1.0 / (1.0 + std::exp(t)) : 1.0);  // |t| (1 - s(t))
    return (kTranscendentalUlps + 4.0 + 6.0 * sensitivity) * kUnitRoundoff * std::fabs(exact) +
           kUnderflow * (1.0 + std::fabs(x));
}

// sum of n squares: positive terms, so (n + 1) u of the sum (each square rounds, then the sums).
inline double sum_squares_tolerance(double exact, size_t n) {
    return (static_cast<double>(n) + 1.0) * kUnitRoundoff * exact + kUnderflow;
}

// s32 -> f32 dequantization A = (acc - zp * col_sum) * row_scale * col_scale: the int -> float conversion
// (exact below 2^24, else one rounding) and the product of the two scales (u |A| each), the multiply
// (u |A|) and the add of the bias (u |A + bias|) and the residual add (u |y|).
inline double dequantize_tolerance(double scaled_accumulator, double bias, double residual) {
    return kUnitRoundoff * (4.0 * std::fabs(scaled_accumulator) + 2.0 * std::fabs(bias) + std::fabs(residual)) +
           kUnderflow;
}

// qu8 reconstruction (q - zero_point) * scale of x: half a step from rounding x / scale (the zero point's
// own rounding cancels), half a step more where the clamp to 255 cuts a value rounded up past it, and
// the float roundings of 1 / scale and x * (1 / scale) (2u of |x| and of the 255-step range).
inline double qu8_reconstruction_tolerance(double scale, double x) {
    return 0.5 * scale + 4.0 * kUnitRoundoff * (std::fabs(x) + 256.0 * scale);
}

// bf16 attention products (quant/attention_bf16.h) against the exact sum of the same bf16-rounded
// products: the products of two bf16 values are exact in f32, so only the f32 accumulation of n terms
// rounds (n * u of the sum of |products|), plus one rounding of the stored result.
inline double bf16_dot_tolerance(double sum_abs_products, size_t n) {
    return (static_cast<double>(n) + 2.0) * kUnitRoundoff * sum_abs_products + 1e-30;
}

// f32 GEMM (f32_gemm_nt / f32_gemm_nn / f32_gemm_packed, k terms plus a bias counting as one): a k-term
// float sum against the exact one (k u of the sum of |products|), the alpha scaling and the accumulate
// add (a rounding each, of the largest term).
inline double gemm_tolerance(double sum_abs_products, double alpha, double previous, size_t k) {
    return (static_cast<double>(k) + 4.0) * kUnitRoundoff * std::fabs(alpha) * sum_abs_products +
           4.0 * kUnitRoundoff * std::fabs(previous) + 1e-30;
}

// Attention (f32_attention) output sum_j p_j v_j: each logit scale (q . k_j + bias) is off by the d-term
// dot product's d u plus the scaling and bias roundings (4 u), of the largest logit magnitude A (scale
// times sum |q k| + |bias|); a logit error moves p_j by that relatively, twice (numerator and the sum).
// exp's ulps (twice, the rescaling factors included), the n-term sum of weights and the n-term weighted
// sum of values (n u each), the rescalings (one per key tile, at most n) and the final division add
// relative errors of sum_j p_j |v_j|.
inline double attention_tolerance(double weighted_abs_values, double max_abs_logit, size_t d, size_t n) {
    const double relative = 2.0 * (static_cast<double>(d) + 4.0) * max_abs_logit + 4.0 * kTranscendentalUlps +
                            3.0 * static_cast<double>(n) + 8.0;
    return relative * kUnitRoundoff * weighted_abs_values + kUnderflow;
}

// bf16_attention against oracle_bf16_attention (the same bf16-rounded q, k, v, the same key tiles, in double).
// A logit s_j = scale (q . k_j) + scale bias: its f32 chain of d exact products is off by d u of
// scale sum |q_c k_c|, the scaling and the bias add by 2 u each of |scale q . k_j| and |scale bias|.
inline double bf16_logit_error(double scaled_abs_products, double abs_scaled_dot, double abs_scaled_bias, size_t d) {
    return (static_cast<double>(d) * scaled_abs_products + 2.0 * abs_scaled_dot + 2.0 * abs_scaled_bias) * kUnitRoundoff;
}

// exp(s_j - running max) in f32, relative to its exact value: the logit's error and the running max's (at most
// the row's largest logit error), the subtraction (u of the argument), exp's ulps and its result's rounding.
// Its bf16 rounding is exact unless a rounding boundary lies that close (then either neighbour).
inline double bf16_probability_error(double logit_error, double max_logit_error, double argument) {
    return logit_error + max_logit_error + (std::fabs(argument) + kTranscendentalUlps + 1.0) * kUnitRoundoff;
}

// A weight's carry to the row's final max (at most one rescaling per key tile, `tiles` of them), relative: the
// running maxima's errors (twice the largest logit error), per rescaling exp's ulps and the product, the
// arguments' roundings (u of their sum, the climb from the weight's running max to the final one).
inline double bf16_rescaling_error(double max_logit_error, double climb, size_t tiles) {
    return 2.0 * max_logit_error + (climb + static_cast<double>(tiles) * (kTranscendentalUlps + 2.0)) * kUnitRoundoff;
}

// The output sum_j w_j v_j / sum_j w_j: weights off by e_j move it by at most sum_j e_j (|v_j| + |out|) / sum w
// (weighted_errors); the f32 sums of n products and of n weights (n u each of sum_j w_j |v_j| / sum w), the
// rescalings and tile adds (2 u per tile), the reciprocal and the product (2 u) add.
inline double bf16_attention_tolerance(double weighted_errors, double weighted_abs_values, size_t n, size_t tiles) {
    return weighted_errors +
           (2.0 * static_cast<double>(n) + 4.0 * static_cast<double>(tiles) + 8.0) * kUnitRoundoff * weighted_abs_values +
           kUnderflow;
}

// Rotary embedding x_i c - y s (or y c + x s): the two products and the difference, one u of each
// product's magnitude and of the result (an fma rounds less).
inline double rope_tolerance(double exact, double product_magnitudes) {
    return 2.0 * kUnitRoundoff * product_magnitudes + kUnitRoundoff * std::fabs(exact) + kUnderflow;
}

}  // namespace edgembed::test
