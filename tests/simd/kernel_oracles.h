// Oracles for the kernels of simd/kernel_list.inc, one `oracle_<kernel>` each, written from the semantics
// documented there and nothing else (they do not call simd/ref): double precision throughout, so that
// every table, the scalar reference included, is measured against the exact value rather than against
// another float implementation. test_f32_kernels.cpp compares each kernel with its oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgembed::test {

// softmax(x * scale + mask) over n; mask may be null. A row whose entries are all -inf gives zeros; a
// NaN or +inf entry gives a NaN row.
std::vector<double> oracle_f32_softmax(const float* x, const float* mask, float scale, size_t n);

// (x - mean) / sqrt(var + eps) * gamma + beta, var the biased variance.
std::vector<double> oracle_f32_layernorm(const float* x, const float* gamma, const float* beta, float eps, size_t n);

// x / sqrt(mean(x^2) + eps) * gamma.
std::vector<double> oracle_f32_rmsnorm(const float* x, const float* gamma, float eps, size_t n);

// x/2 * (1 + erf(x / sqrt(2))).
std::vector<double> oracle_f32_gelu(const float* x, size_t n);
std::vector<double> oracle_f32_gelu_tanh(const float* x, size_t n);

// x / (1 + exp(-x)), written x sigmoid(x) (NaN at -inf, as torch).
std::vector<double> oracle_f32_silu(const float* x, size_t n);

std::vector<double> oracle_f32_add(const float* a, const float* b, size_t n);

// max(y, x) elementwise, y being its values before the call; NaN in either gives NaN.
std::vector<double> oracle_f32_max(const float* x, const float* y, size_t n);

double oracle_f32_sum_squares(const float* x, size_t n);

std::vector<double> oracle_f32_scale(const float* x, float s, size_t n);
// x rounded to 8 significant bits, ties to even, by frexp / nearbyint / ldexp (past the largest bf16: inf);
// denormals give zeros of their sign, NaN NaN.
std::vector<double> oracle_f32_round_bf16(const float* x, size_t n);

// y + x W over W's k rows of n in the specified double steps (each product exact, summed in row order from 0,
// added to y and rounded once): the specification of f32_add_products_f64, bit for bit.
std::vector<double> oracle_f32_add_products_f64(const float* x, size_t k, const float* w, const float* y, size_t n);

// The documented float recipe step by step (a row holding NaN or Inf: a NaN scale, q = 0) (its float operations are the specification: the kernels
// must match it bit for bit); test_f32_kernels.cpp also checks in double that q reconstructs x.
struct Qu8Row {
    float scale;
    int32_t zero_point;
    std::vector<uint8_t> q;
};
Qu8Row oracle_f32_quantize_qu8(const float* x, size_t n);

// (acc - zero_point * col_sums) * row_scale * col_scales + bias + residual, in exact integer and then
// double arithmetic; bias and residual may be null.
std::vector<double> oracle_s32_dequantize(const int32_t* acc, int32_t zero_point, const int32_t* col_sums,
                                          float row_scale, const float* col_scales, const float* bias,
                                          const float* residual, size_t n);

// The IEEE binary16 value of each pattern, decoded from its sign, exponent and fraction fields.
std::vector<double> oracle_f16_to_f32(const uint16_t* x, size_t n);

// The m x n product (row-major, dense) of the GEMM kernels: (accumulate ? c_before : 0) + alpha * A op(B),
// c_before read with row stride ldc (may be null when not accumulating).
std::vector<double> oracle_f32_gemm_nt(const float* a, size_t lda, const float* b, size_t ldb, double alpha,
                                       bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n, size_t k);
std::vector<double> oracle_f32_gemm_nn(const float* a, size_t lda, const float* b, size_t ldb, double alpha,
                                       bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n, size_t k);

// The panel width's contract: a positive number of columns no wider than kMaxPanelWidth (a packed
// buffer then wastes at most that many columns of padding).
inline constexpr size_t kMaxPanelWidth = 256;
bool oracle_f32_packed_panel_width(size_t width);

// The packed layout of W[n, k] in panels of `width` columns: panel j / width holds W's columns
// [first, first + width) k-major ([k][width]), zero past n; ceil(n / width) * width * k floats.
std::vector<float> oracle_f32_pack_panels(const float* w, size_t n, size_t k, size_t width);

// The packed GEMM from the unpacked weight W[n, k] (row stride k): (accumulate ? c_before : 0) + bias +
// A W^T; bias may be null.
std::vector<double> oracle_f32_gemm_packed(const float* a, size_t lda, const float* w, const float* bias,
                                           bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n,
                                           size_t k);

}  // namespace edgembed::test

namespace edgembed::test {

// One head's attention for query rows first .. first + m - 1 (dense [m, d] result): row i's softmax of
// scale * (q_i . k_j + bias[j - i]) over the keys max(0, i - before) <= j <= min(keys - 1, i + after),
// weighting the value rows.
std::vector<double> oracle_f32_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                         const float* bias, float scale, size_t first, size_t m, size_t keys,
                                         size_t before, size_t after, size_t d);

// bf16_attention's definition for one head in double, with each output's tolerance (tolerances.h): q, k, v
// rounded to bf16, exact logits, the kernel's key tiles (the text's keys [t kBf16AttentionKeys,
// (t + 1) kBf16AttentionKeys), whatever the query rows) and their running maxima,
// each weight exp(s_j - running max) rounded to bf16 and carried to the row's final max. A weight whose f32
// value may round to either of two bf16 neighbours (a rounding boundary within its error) counts as
// uncertain by their gap. A NaN in a row's query gives a NaN row.
inline constexpr size_t kBf16AttentionKeys = 128;
struct Bf16Attention {
    std::vector<double> out, tolerance;  // [m, d] each
};
Bf16Attention oracle_bf16_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                    const float* bias, float scale, size_t first, size_t m, size_t keys, size_t before,
                                    size_t after, size_t d);

// (x_i cos_i - x_{i+half} sin_i, x_{i+half} cos_i + x_i sin_i) for i < half: all 2 * half results.
std::vector<double> oracle_f32_rope(const float* x, const float* cos, const float* sin, size_t half);

}  // namespace edgembed::test
