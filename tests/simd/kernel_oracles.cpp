#include "tests/simd/kernel_oracles.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tests/simd/tolerances.h"

namespace edgembed::test {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

std::vector<double> oracle_f32_softmax(const float* x, const float* mask, float scale, size_t n) {
    std::vector<double> logits(n);
    double max = -kInf;
    for (size_t i = 0; i < n; ++i) {
        logits[i] = static_cast<double>(x[i]) * scale + (mask ? static_cast<double>(mask[i]) : 0.0);
        if (std::isnan(logits[i]) || logits[i] == kInf) return std::vector<double>(n, kNan);
        if (logits[i] > max) max = logits[i];
    }
    if (max == -kInf) return std::vector<double>(n, 0.0);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += std::exp(logits[i] - max);
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = std::exp(logits[i] - max) / sum;
    return y;
}

std::vector<double> oracle_f32_layernorm(const float* x, const float* gamma, const float* beta, float eps, size_t n) {
    double mean = 0.0;
    for (size_t i = 0; i < n; ++i) mean += x[i];
    mean /= static_cast<double>(n);
    double var = 0.0;
    for (size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
    var /= static_cast<double>(n);
    const double inv_std = 1.0 / std::sqrt(var + static_cast<double>(eps));
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv_std * gamma[i] + beta[i];
    return y;
}

std::vector<double> oracle_f32_rmsnorm(const float* x, const float* gamma, float eps, size_t n) {
    double squares = 0.0;
    for (size_t i = 0; i < n; ++i) squares += static_cast<double>(x[i]) * x[i];
    const double inv = 1.0 / std::sqrt(squares / static_cast<double>(n) + static_cast<double>(eps));
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = x[i] * inv * gamma[i];
    return y;
}

std::vector<double> oracle_f32_silu(const float* x, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i];
        y[i] = v * (1.0 / (1.0 + std::exp(-v)));
    }
    return y;
}

std::vector<double> oracle_f32_gelu(const float* x, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i];
        y[i] = v / 2.0 * (1.0 + std::erf(v / std::sqrt(2.0)));
    }
    return y;
}

std::vector<double> oracle_f32_gelu_tanh(const float* x, size_t n) {
    std::vector<double> y(n);
    const double root = std::sqrt(2.0 / 3.14159265358979323846);
    // v/2 (1 + tanh(z)) = v / (1 + exp(-2 z)): the same function without 1 + tanh's cancellation for negative z.
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i];
        y[i] = v / (1.0 + std::exp(-2.0 * root * (v + 0.044715 * v * v * v)));
    }
    return y;
}

std::vector<double> oracle_f32_add(const float* a, const float* b, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<double>(a[i]) + b[i];
    return y;
}

std::vector<double> oracle_f32_max(const float* x, const float* y, size_t n) {
    std::vector<double> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = std::isnan(x[i]) || std::isnan(y[i]) ? kNan : std::max<double>(x[i], y[i]);
    return out;
}

double oracle_f32_sum_squares(const float* x, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    return sum;
}

std::vector<double> oracle_f32_scale(const float* x, float s, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<double>(x[i]) * s;
    return y;
}

std::vector<double> oracle_f32_round_bf16(const float* x, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i];
        if (std::isnan(v) || std::isinf(v)) {
            y[i] = v;
        } else if (std::fabs(v) < static_cast<double>(std::numeric_limits<float>::min())) {
            y[i] = std::copysign(0.0, v);
        } else {
            int exponent = 0;
            const double mantissa = std::frexp(v, &exponent);                 // [0.5, 1): 8 bits are 2^8 steps
            y[i] = std::ldexp(std::nearbyint(std::ldexp(mantissa, 8)), exponent - 8);  // ties to even (default mode)
            if (std::fabs(y[i]) > static_cast<double>(std::numeric_limits<float>::max())) y[i] = std::copysign(INFINITY, v);
        }
    }
    return y;
}

std::vector<double> oracle_f32_add_products_f64(const float* x, size_t k, const float* w, const float* y, size_t n) {
    std::vector<double> sums(n, 0.0), out(n);
    for (size_t c = 0; c < k; ++c)  // row by row: the same order of additions for each output
        for (size_t j = 0; j < n; ++j) sums[j] += static_cast<double>(x[c]) * static_cast<double>(w[c * n + j]);
    for (size_t j = 0; j < n; ++j) out[j] = static_cast<float>(static_cast<double>(y[j]) + sums[j]);
    return out;
}

Qu8Row oracle_f32_quantize_qu8(const float* x, size_t n) {
    Qu8Row row{0.0f, 0, std::vector<uint8_t>(n, 0)};
    float lo = 0.0f, hi = 0.0f;
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) {  // no range: a NaN scale, which makes the dequantized row NaN
            row.scale = std::numeric_limits<float>::quiet_NaN();
            return row;
        }
        lo = std::fmin(lo, x[i]);
        hi = std::fmax(hi, x[i]);
    }
    row.scale = (hi - lo) / 255.0f;
    if (!std::isnormal(row.scale)) return row;  // all zeros, a range too small to invert, or an infinity
    const float inv = 1.0f / row.scale;
    const float shifted_lo = -lo * inv;
    row.zero_point = static_cast<int32_t>(std::nearbyint(shifted_lo));
    for (size_t i = 0; i < n; ++i) {
        const float scaled = x[i] * inv;
        const double q = std::nearbyint(static_cast<double>(scaled)) + row.zero_point;
        row.q[i] = static_cast<uint8_t>(q < 0.0 ? 0.0 : q > 255.0 ? 255.0 : q);
    }
    return row;
}

std::vector<double> oracle_s32_dequantize(const int32_t* acc, int32_t zero_point, const int32_t* col_sums,
                                          float row_scale, const float* col_scales, const float* bias,
                                          const float* residual, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        const int64_t centered = static_cast<int64_t>(acc[i]) - static_cast<int64_t>(zero_point) * col_sums[i];
        y[i] = static_cast<double>(centered) * row_scale * col_scales[i] + (bias ? bias[i] : 0.0) +
               (residual ? residual[i] : 0.0);
    }
    return y;
}

std::vector<double> oracle_f16_to_f32(const uint16_t* x, size_t n) {
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        const double sign = (x[i] & 0x8000) ? -1.0 : 1.0;
        const int exponent = (x[i] >> 10) & 0x1f;
        const int fraction = x[i] & 0x3ff;
        if (exponent == 0x1f) y[i] = fraction ? kNan : sign * kInf;
        else if (exponent == 0) y[i] = sign * std::ldexp(fraction, -24);  // zeros and subnormals
        else y[i] = sign * std::ldexp(1024 + fraction, exponent - 25);
    }
    return y;
}

namespace {

// b_at(p, j): B's element in row p, column j of the product.
template <class BAt>
std::vector<double> gemm(const float* a, size_t lda, BAt b_at, double alpha, bool accumulate, const float* c_before,
                         size_t ldc, size_t m, size_t n, size_t k) {
    std::vector<double> c(m * n);
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (size_t p = 0; p < k; ++p) sum += static_cast<double>(a[i * lda + p]) * b_at(p, j);
            c[i * n + j] = (accumulate ? static_cast<double>(c_before[i * ldc + j]) : 0.0) + alpha * sum;
        }
    return c;
}

}  // namespace

std::vector<double> oracle_f32_gemm_nt(const float* a, size_t lda, const float* b, size_t ldb, double alpha,
                                       bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n, size_t k) {
    return gemm(a, lda, [&](size_t p, size_t j) { return static_cast<double>(b[j * ldb + p]); }, alpha, accumulate,
                c_before, ldc, m, n, k);
}

std::vector<double> oracle_f32_gemm_nn(const float* a, size_t lda, const float* b, size_t ldb, double alpha,
                                       bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n, size_t k) {
    return gemm(a, lda, [&](size_t p, size_t j) { return static_cast<double>(b[p * ldb + j]); }, alpha, accumulate,
                c_before, ldc, m, n, k);
}

bool oracle_f32_packed_panel_width(size_t width) { return width >= 1 && width <= kMaxPanelWidth; }

std::vector<float> oracle_f32_pack_panels(const float* w, size_t n, size_t k, size_t width) {
    const size_t panels = (n + width - 1) / width;
    std::vector<float> packed(panels * width * k, 0.0f);
    for (size_t column = 0; column < n; ++column) {
        float* panel = packed.data() + (column / width) * width * k;
        for (size_t p = 0; p < k; ++p) panel[p * width + column % width] = w[column * k + p];
    }
    return packed;
}

std::vector<double> oracle_f32_gemm_packed(const float* a, size_t lda, const float* w, const float* bias,
                                           bool accumulate, const float* c_before, size_t ldc, size_t m, size_t n,
                                           size_t k) {
    std::vector<double> c = oracle_f32_gemm_nt(a, lda, w, k, 1.0, accumulate, c_before, ldc, m, n, k);
    if (bias)
        for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j) c[i * n + j] += bias[j];
    return c;
}

}  // namespace edgembed::test

namespace edgembed::test {

std::vector<double> oracle_f32_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                         const float* bias, float scale, size_t first, size_t m, size_t keys,
                                         size_t before, size_t after, size_t d) {
    std::vector<double> out(m * d, 0.0);
    for (size_t r = 0; r < m; ++r) {
        const long long i = static_cast<long long>(first + r);
        const long long lo = std::max(0LL, i - static_cast<long long>(std::min<size_t>(before, keys)));
        const long long hi = std::min(static_cast<long long>(keys) - 1, i + static_cast<long long>(std::min<size_t>(after, keys)));
        std::vector<double> logits;
        double max = -kInf;
        for (long long j = lo; j <= hi; ++j) {
            double dot = 0.0;
            for (size_t c = 0; c < d; ++c) dot += static_cast<double>(q[r * ldq + c]) * static_cast<double>(k[j * ldkv + c]);
            const double logit = static_cast<double>(scale) * (dot + (bias ? static_cast<double>(bias[j - i]) : 0.0));
            logits.push_back(logit);
            max = std::max(max, logit);
        }
        double total = 0.0;
        for (double l : logits) total += std::exp(l - max);
        for (long long j = lo; j <= hi; ++j) {
            const double p = std::exp(logits[static_cast<size_t>(j - lo)] - max) / total;
            for (size_t c = 0; c < d; ++c) out[r * d + c] += p * static_cast<double>(v[j * ldkv + c]);
        }
        bool nan_query = false;
        for (size_t c = 0; c < d; ++c) nan_query |= std::isnan(q[r * ldq + c]);
        if (nan_query)
            for (size_t c = 0; c < d; ++c) out[r * d + c] = kNan;
    }
    return out;
}

namespace {

// f to bf16 from its binade: the significand's 8 bits rounded to nearest even, below the smallest normal float
// zero of f's sign, NaN NaN.
double bf16(double f) {
    if (std::isnan(f) || std::isinf(f)) return f;
    if (std::fabs(f) < std::numeric_limits<float>::min()) return std::copysign(0.0, f);
    int exponent;
    const double significand = std::frexp(f, &exponent);  // [0.5, 1)
    return std::ldexp(std::nearbyint(std::ldexp(significand, 8)), exponent - 8);
}

}  // namespace

Bf16Attention oracle_bf16_attention(const float* q, size_t ldq, const float* k, const float* v, size_t ldkv,
                                    const float* bias, float scale, size_t first, size_t m, size_t keys, size_t before,
                                    size_t after, size_t d) {
    Bf16Attention result{std::vector<double>(m * d), std::vector<double>(m * d)};
    auto lo_of = [&](size_t i) { return i - std::min(before, i); };
    auto hi_of = [&](size_t i) { return keys - i - 1 <= after ? keys : i + after + 1; };
    std::vector<double> k_rounded(keys * d), v_rounded(keys * d), q_rounded(d);
    for (size_t j = 0; j < keys; ++j)
        for (size_t c = 0; c < d; ++c) {
            k_rounded[j * d + c] = bf16(k[j * ldkv + c]);
            v_rounded[j * d + c] = bf16(v[j * ldkv + c]);
        }
    for (size_t r = 0; r < m; ++r) {
        const size_t i = first + r, a = lo_of(i), b = hi_of(i), n = b - a;
        for (size_t c = 0; c < d; ++c) q_rounded[c] = bf16(q[r * ldq + c]);
        bool nan_query = false;
        for (size_t c = 0; c < d; ++c) nan_query |= std::isnan(q[r * ldq + c]);
        if (nan_query) {
            std::fill(result.out.begin() + static_cast<long>(r * d), result.out.begin() + static_cast<long>((r + 1) * d), kNan);
            continue;
        }
        // The key tiles: the text's keys [t kBf16AttentionKeys, (t + 1) kBf16AttentionKeys), whatever the block.
        std::vector<double> logit(n), logit_error(n), running_max(n);
        double max_error = 0.0;
        for (size_t j = a; j < b; ++j) {
            double dot = 0.0, abs_products = 0.0;
            for (size_t c = 0; c < d; ++c) {
                const double product = q_rounded[c] * k_rounded[j * d + c];
                dot += product;
                abs_products += std::fabs(product);
            }
            const double scaled_bias = bias ? static_cast<double>(scale) * bias[static_cast<ptrdiff_t>(j) - static_cast<ptrdiff_t>(i)] : 0.0;
            logit[j - a] = scale * dot + scaled_bias;
            logit_error[j - a] = bf16_logit_error(scale * abs_products, std::fabs(scale * dot), std::fabs(scaled_bias), d);
            max_error = std::max(max_error, logit_error[j - a]);
        }
        double row_max = -kInf;
        size_t tiles = 0;
        for (size_t t0 = a / kBf16AttentionKeys * kBf16AttentionKeys; t0 < b; t0 += kBf16AttentionKeys) {
            const size_t ta = std::max(a, t0), tb = std::min(b, t0 + kBf16AttentionKeys);
            if (ta >= tb) continue;
            ++tiles;
            double tile_max = -kInf;
            for (size_t j = ta; j < tb; ++j) tile_max = std::max(tile_max, logit[j - a]);
            row_max = std::max(row_max, tile_max);
            for (size_t j = ta; j < tb; ++j) running_max[j - a] = row_max;
        }
        // Weights w_j = bf16(exp(s_j - running max)) exp(running max - final max), each uncertain by e_j.
        std::vector<double> weight(n), error(n);
        double total = 0.0;
        for (size_t j = 0; j < n; ++j) {
            const double p = std::exp(logit[j] - running_max[j]), carry = std::exp(running_max[j] - row_max);
            const double spread = bf16_probability_error(logit_error[j], max_error, logit[j] - running_max[j]);
            const double gap = bf16(p * (1.0 + spread)) - bf16(p * (1.0 - spread));  // 0 unless near a boundary
            weight[j] = bf16(p) * carry;
            error[j] = weight[j] * bf16_rescaling_error(max_error, row_max - running_max[j], tiles) + gap * carry;
            total += weight[j];
        }
        for (size_t c = 0; c < d; ++c) {
            double sum = 0.0;
            for (size_t j = 0; j < n; ++j) sum += weight[j] * v_rounded[(a + j) * d + c];
            const double out = sum / total;
            double weighted_errors = 0.0, weighted_abs = 0.0;
            for (size_t j = 0; j < n; ++j) {
                const double value = std::fabs(v_rounded[(a + j) * d + c]);
                weighted_errors += error[j] * (value + std::fabs(out));
                weighted_abs += weight[j] * value;
            }
            result.out[r * d + c] = out;
            result.tolerance[r * d + c] = bf16_attention_tolerance(weighted_errors / total, weighted_abs / total, n, tiles);
        }
    }
    return result;
}

std::vector<double> oracle_f32_rope(const float* x, const float* cos, const float* sin, size_t half) {
    std::vector<double> y(2 * half);
    for (size_t i = 0; i < half; ++i) {
        const double a = x[i], b = x[i + half], c = cos[i], s = sin[i];
        y[i] = a * c - b * s;
        y[i + half] = b * c + a * s;
    }
    return y;
}

}  // namespace edgembed::test
