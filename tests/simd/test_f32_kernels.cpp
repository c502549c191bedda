// Every f32 kernel on every ISA this host has, against the scalar reference, over edge sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "simd/kernels.h"
#include "tests/simd/tolerances.h"

namespace edgembed::simd {
namespace {

using test::kUnitRoundoff;

constexpr size_t kMaxLanes = 16;  // widest f32 vector (avx512)

std::vector<size_t> edge_sizes() {
    std::vector<size_t> sizes;
    for (size_t n = 1; n <= 2 * kMaxLanes + 1; ++n) sizes.push_back(n);
    for (size_t m : {3, 4, 8}) for (int d : {-1, 0, 1}) sizes.push_back(m * kMaxLanes + d);
    for (size_t n : {97, 127, 251, 384, 768, 1024, 1536, 3072}) sizes.push_back(n);
    return sizes;
}

unsigned seed() {
    const char* env = std::getenv("EDGEMBED_TEST_SEED");
    return env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : 20261127u;
}

std::vector<float> random_vector(std::mt19937& rng, size_t n, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

// Guards against a kernel that writes nothing: most outputs of these inputs are non-zero.
void expect_mostly_nonzero(const std::vector<float>& y) {
    size_t zeros = 0;
    for (float v : y) zeros += v == 0.0f;
    EXPECT_LE(zeros, y.size() / 2) << "output is mostly zeros";
}

class F32Kernels : public ::testing::TestWithParam<Isa> {
protected:
    void SetUp() override {
        kernels_ = kernels_for(GetParam());
        if (kernels_ == nullptr) GTEST_SKIP() << isa_name(GetParam()) << " is not available on this host";
        ref_ = &reference_kernels();
    }
    const Kernels* kernels_ = nullptr;
    const Kernels* ref_ = nullptr;
};

TEST_P(F32Kernels, Softmax) {
    std::mt19937 rng(seed());
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    for (size_t n : edge_sizes()) {
        for (bool with_mask : {false, true}) {
            const std::vector<float> x = random_vector(rng, n, 4.0f);
            std::vector<float> mask(n, 0.0f);
            for (size_t i = 0; i < n; ++i) if (i % 3 == 2) mask[i] = -std::numeric_limits<float>::infinity();
            const float scale = 0.17677669f;  // 1/sqrt(32)
            std::vector<float> y(n), expected(n);
            kernels_->f32_softmax(x.data(), with_mask ? mask.data() : nullptr, scale, y.data(), n);
            ref_->f32_softmax(x.data(), with_mask ? mask.data() : nullptr, scale, expected.data(), n);
            double max_logit = 0.0;
            for (float v : x) max_logit = std::max(max_logit, std::fabs(static_cast<double>(v) * scale));
            for (size_t i = 0; i < n; ++i)
                ASSERT_NEAR(y[i], expected[i], test::softmax_tolerance(expected[i], max_logit, n) + 1e-37)
                    << "n=" << n << " i=" << i << " mask=" << with_mask;
            if (!with_mask) expect_mostly_nonzero(y);
        }
    }
}

TEST_P(F32Kernels, SoftmaxFullyMaskedRowIsZero) {
    for (size_t n : edge_sizes()) {
        std::vector<float> x(n, 1.0f), mask(n, -std::numeric_limits<float>::infinity()), y(n, 7.0f);
        kernels_->f32_softmax(x.data(), mask.data(), 1.0f, y.data(), n);
        for (float v : y) ASSERT_EQ(v, 0.0f) << "n=" << n;
    }
}

TEST_P(F32Kernels, SoftmaxNanOrInfGivesNanRow) {
    for (size_t n : edge_sizes()) {
        for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
            std::vector<float> x(n, 0.5f), y(n, 0.0f), expected(n, 0.0f);
            x[n / 2] = bad;
            kernels_->f32_softmax(x.data(), nullptr, 1.0f, y.data(), n);
            ref_->f32_softmax(x.data(), nullptr, 1.0f, expected.data(), n);
            for (size_t i = 0; i < n; ++i) {
                ASSERT_TRUE(std::isnan(y[i])) << "n=" << n << " i=" << i;
                ASSERT_TRUE(std::isnan(expected[i]));
            }
        }
    }
}

TEST_P(F32Kernels, LayerNorm) {
    std::mt19937 rng(seed() + 1);
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    for (size_t n : edge_sizes()) {
        const std::vector<float> x = random_vector(rng, n, 3.0f), gamma = random_vector(rng, n, 1.0f),
                                 beta = random_vector(rng, n, 0.5f);
        std::vector<float> y(n), expected(n);
        kernels_->f32_layernorm(x.data(), gamma.data(), beta.data(), 1e-12f, y.data(), n);
        ref_->f32_layernorm(x.data(), gamma.data(), beta.data(), 1e-12f, expected.data(), n);
        for (size_t i = 0; i < n; ++i)
            ASSERT_NEAR(y[i], expected[i], test::layernorm_tolerance(expected[i], beta[i], n) + 1e-6 * (n == 1))
                << "n=" << n << " i=" << i;
        if (n > 1) expect_mostly_nonzero(y);
    }
}

TEST_P(F32Kernels, LayerNormPropagatesNan) {
    for (size_t n : edge_sizes()) {
        std::vector<float> x(n, 1.0f), gamma(n, 1.0f), beta(n, 0.0f), y(n);
        x[0] = std::numeric_limits<float>::quiet_NaN();
        kernels_->f32_layernorm(x.data(), gamma.data(), beta.data(), 1e-12f, y.data(), n);
        for (float v : y) ASSERT_TRUE(std::isnan(v)) << "n=" << n;
    }
}

TEST_P(F32Kernels, Gelu) {
    std::mt19937 rng(seed() + 2);
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    for (size_t n : edge_sizes()) {
        std::vector<float> x = random_vector(rng, n, 3.0f);
        if (n > 4) {
            x[0] = 0.0f;
            x[1] = -12.0f;
            x[2] = 12.0f;
            x[3] = std::numeric_limits<float>::quiet_NaN();
        }
        std::vector<float> y(n), expected(n);
        kernels_->f32_gelu(x.data(), y.data(), n);
        ref_->f32_gelu(x.data(), expected.data(), n);
        for (size_t i = 0; i < n; ++i) {
            if (std::isnan(x[i])) {
                ASSERT_TRUE(std::isnan(y[i]));
                continue;
            }
            ASSERT_NEAR(y[i], expected[i], test::gelu_tolerance(expected[i], x[i])) << "n=" << n << " x=" << x[i];
        }
    }
}

TEST_P(F32Kernels, ElementwiseAreExact) {
    std::mt19937 rng(seed() + 3);
    for (size_t n : edge_sizes()) {
        const std::vector<float> a = random_vector(rng, n, 1.0f), b = random_vector(rng, n, 1.0f);
        std::vector<float> y(n), expected(n);
        kernels_->f32_add(a.data(), b.data(), y.data(), n);
        ref_->f32_add(a.data(), b.data(), expected.data(), n);
        ASSERT_EQ(y, expected) << "add n=" << n;
        y = b;
        expected = b;
        kernels_->f32_max(a.data(), y.data(), n);
        ref_->f32_max(a.data(), expected.data(), n);
        ASSERT_EQ(y, expected) << "max n=" << n;
        kernels_->f32_scale(a.data(), 0.37f, y.data(), n);
        ref_->f32_scale(a.data(), 0.37f, expected.data(), n);
        ASSERT_EQ(y, expected) << "scale n=" << n;
        const float s = kernels_->f32_sum_squares(a.data(), n), e = ref_->f32_sum_squares(a.data(), n);
        ASSERT_NEAR(s, e, test::sum_squares_tolerance(e, n)) << "sum_squares n=" << n;
    }
}

TEST_P(F32Kernels, QuantizeQu8IsBitIdenticalToReference) {
    std::mt19937 rng(seed() + 4);
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    for (size_t n : edge_sizes()) {
        for (float shift : {0.0f, 3.0f, -3.0f}) {  // mixed signs, all positive, all negative
            std::vector<float> x = random_vector(rng, n, 1.0f);
            for (float& v : x) v += shift;
            std::vector<uint8_t> q(n), expected(n);
            int32_t zp = -1, expected_zp = -2;
            const float s = kernels_->f32_quantize_qu8(x.data(), n, q.data(), &zp);
            const float e = ref_->f32_quantize_qu8(x.data(), n, expected.data(), &expected_zp);
            ASSERT_EQ(s, e) << "n=" << n;
            ASSERT_EQ(zp, expected_zp) << "n=" << n;
            ASSERT_EQ(q, expected) << "n=" << n;
            // The quantized row reconstructs x to within half a step (plus the rounding of the step).
            for (size_t i = 0; i < n; ++i)
                ASSERT_NEAR((static_cast<int>(q[i]) - zp) * s, x[i], 0.5 * s * (1.0 + 1e-5) + 1e-6) << "n=" << n;
        }
    }
    std::vector<float> zeros(37, 0.0f);
    std::vector<uint8_t> q(37, 5);
    int32_t zp = 9;
    EXPECT_EQ(kernels_->f32_quantize_qu8(zeros.data(), zeros.size(), q.data(), &zp), 0.0f);
    EXPECT_EQ(zp, 0);
    for (uint8_t v : q) EXPECT_EQ(v, 0);
}

// Both GEMM kernels against the double reference: every m up to 2 tiles + 1, n and k over the edge sizes
// around the vector width (and the model's 384 / 1536), strided operands, with and without accumulate;
// nothing is written outside C's m x n entries.
TEST_P(F32Kernels, GemmMatchesReference) {
    std::mt19937 rng(seed());
    const std::vector<size_t> ms = {1, 2, 3, 4, 5, 7, 8, 9};
    const std::vector<size_t> ns = {1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 64, 65, 384};
    const std::vector<size_t> ks = {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 384, 1536};
    for (int nt = 0; nt < 2; ++nt)
        for (size_t m : ms)
            for (size_t n : ns)
                for (size_t k : ks) {
                    if (m * n * k > 400000) continue;  // the large shapes once per m are enough
                    const size_t lda = k + 3, ldb = (nt ? k : n) + 5, ldc = n + 2;
                    const std::vector<float> a = random_vector(rng, m * lda, 1.0f);
                    const std::vector<float> b = random_vector(rng, (nt ? n : k) * ldb, 1.0f);
                    const std::vector<float> previous = random_vector(rng, m * ldc, 1.0f);
                    const int accumulate = static_cast<int>((m + n + k) % 2);
                    const float alpha = accumulate ? 0.5f : 1.0f;
                    std::vector<float> got = previous;
                    (nt ? kernels_->f32_gemm_nt : kernels_->f32_gemm_nn)(a.data(), lda, b.data(), ldb, alpha, accumulate,
                                                                         got.data(), ldc, m, n, k);
                    for (size_t i = 0; i < m; ++i)
                        for (size_t j = 0; j < ldc; ++j) {
                            const float value = got[i * ldc + j];
                            if (j >= n) {
                                ASSERT_EQ(value, previous[i * ldc + j]) << "wrote past column " << n;
                                continue;
                            }
                            double sum = 0, sum_abs = 0;
                            for (size_t p = 0; p < k; ++p) {
                                const double prod = static_cast<double>(a[i * lda + p]) *
                                                    (nt ? b[j * ldb + p] : b[p * ldb + j]);
                                sum += prod;
                                sum_abs += std::fabs(prod);
                            }
                            const double prev = accumulate ? previous[i * ldc + j] : 0.0;
                            ASSERT_NEAR(value, prev + alpha * sum, test::gemm_tolerance(sum_abs, alpha, prev, k))
                                << (nt ? "nt" : "nn") << " m " << m << " n " << n << " k " << k << " at " << i << "," << j;
                        }
                }
}

// A row's product must not depend on where it sits in a batch: with identical rows in A and in B, every
// output of f32_gemm_nt has the same bits, whichever tile shape (rows x columns) computed it.
TEST_P(F32Kernels, GemmNtOutputsDoNotDependOnTheirTile) {
    std::mt19937 rng(seed() + 9);
    for (size_t k : {1, 17, 384}) {
        const std::vector<float> row_a = random_vector(rng, k, 1.0f), row_b = random_vector(rng, k, 1.0f);
        for (size_t m : {1, 2, 3, 4, 5, 9, 13})
            for (size_t n : {1, 3, 4, 5, 6, 7, 11, 13, 49}) {
                std::vector<float> a, b, c(m * n, 0.0f);
                for (size_t i = 0; i < m; ++i) a.insert(a.end(), row_a.begin(), row_a.end());
                for (size_t j = 0; j < n; ++j) b.insert(b.end(), row_b.begin(), row_b.end());
                kernels_->f32_gemm_nt(a.data(), k, b.data(), k, 1.0f, 0, c.data(), n, m, n, k);
                for (size_t i = 0; i < m * n; ++i)
                    ASSERT_EQ(c[i], c[0]) << "m " << m << " n " << n << " k " << k << " at " << i / n << "," << i % n;
            }
    }
}

// The packed GEMM on weights packed by the same ISA, against the double reference: every m up to two
// 8-row tiles + 1, n around the panel width, k over edge sizes, from the first or the second panel, with
// and without bias and accumulate; nothing is written outside C's m x n entries.
TEST_P(F32Kernels, GemmPackedMatchesReference) {
    std::mt19937 rng(seed() + 11);
    const size_t width = kernels_->f32_packed_panel_width();
    ASSERT_GT(width, 0u);
    const std::vector<size_t> ns = {1, width - 1, width, width + 1, 2 * width + 5, 384};
    const std::vector<size_t> ks = {1, 2, 7, 16, 17, 33, 384, 1536};
    for (size_t m = 1; m <= 17; ++m)
        for (size_t n : ns)
            for (size_t k : ks)
                for (size_t start_panel = 0; start_panel < 2; ++start_panel) {
                    if (m * n * k > 400000 || (start_panel == 1 && n <= width)) continue;
                    const size_t panels = (n + width - 1) / width;
                    const std::vector<float> w = random_vector(rng, n * k, 1.0f);
                    std::vector<float> packed(panels * width * k, std::numeric_limits<float>::quiet_NaN());
                    kernels_->f32_pack_panels(w.data(), n, k, packed.data());
                    const size_t first = start_panel * width, cols = n - first;
                    const size_t lda = k + 3, ldc = cols + 2;
                    const std::vector<float> a = random_vector(rng, m * lda, 1.0f);
                    const std::vector<float> bias = random_vector(rng, n, 1.0f);
                    const std::vector<float> previous = random_vector(rng, m * ldc, 1.0f);
                    const int accumulate = static_cast<int>((m + n + k) % 2);
                    const bool with_bias = (m + k) % 3 != 0;
                    std::vector<float> got = previous;
                    kernels_->f32_gemm_packed(a.data(), lda, packed.data() + first * k,
                                              with_bias ? bias.data() + first : nullptr, accumulate, got.data(), ldc,
                                              m, cols, k);
                    for (size_t i = 0; i < m; ++i)
                        for (size_t j = 0; j < ldc; ++j) {
                            const float value = got[i * ldc + j];
                            if (j >= cols) {
                                ASSERT_EQ(value, previous[i * ldc + j]) << "wrote past column " << cols;
                                continue;
                            }
                            const double b = with_bias ? bias[first + j] : 0.0;
                            double sum = b, sum_abs = std::fabs(b);
                            for (size_t p = 0; p < k; ++p) {
                                const double prod = static_cast<double>(a[i * lda + p]) * w[(first + j) * k + p];
                                sum += prod;
                                sum_abs += std::fabs(prod);
                            }
                            const double prev = accumulate ? previous[i * ldc + j] : 0.0;
                            ASSERT_NEAR(value, prev + sum, test::gemm_tolerance(sum_abs, 1.0, prev, k + 1))
                                << "m " << m << " n " << n << " k " << k << " from panel " << start_panel << " at "
                                << i << "," << j;
                        }
                }
}

// A row's product must not depend on where it sits in a batch: with identical rows in A and in W, every
// output of f32_gemm_packed has the same bits, whichever tile and panel column computed it.
TEST_P(F32Kernels, GemmPackedOutputsDoNotDependOnTheirTile) {
    std::mt19937 rng(seed() + 12);
    const size_t width = kernels_->f32_packed_panel_width();
    for (size_t k : {1, 17, 384}) {
        const std::vector<float> row_a = random_vector(rng, k, 1.0f), row_w = random_vector(rng, k, 1.0f);
        for (size_t m : {1, 2, 3, 5, 8, 9, 13, 17})
            for (size_t n : std::vector<size_t>{1, width - 1, width, 2 * width + 3}) {
                std::vector<float> a, w, c(m * n, 0.0f), bias(n, 0.25f);
                for (size_t i = 0; i < m; ++i) a.insert(a.end(), row_a.begin(), row_a.end());
                for (size_t j = 0; j < n; ++j) w.insert(w.end(), row_w.begin(), row_w.end());
                std::vector<float> packed((n + width - 1) / width * width * k);
                kernels_->f32_pack_panels(w.data(), n, k, packed.data());
                kernels_->f32_gemm_packed(a.data(), k, packed.data(), bias.data(), 0, c.data(), n, m, n, k);
                for (size_t i = 0; i < m * n; ++i)
                    ASSERT_EQ(c[i], c[0]) << "m " << m << " n " << n << " k " << k << " at " << i / n << "," << i % n;
            }
    }
}

TEST_P(F32Kernels, DequantizeS32) {
    std::mt19937 rng(seed() + 5);
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::uniform_int_distribution<int32_t> big(-(1 << 26), 1 << 26), sums(-(1 << 18), 1 << 18);
    for (size_t n : edge_sizes()) {
        for (int variant = 0; variant < 2; ++variant) {
            std::vector<int32_t> acc(n), col_sums(n);
            for (size_t i = 0; i < n; ++i) {
                acc[i] = big(rng);
                col_sums[i] = sums(rng);
            }
            const std::vector<float> scales = random_vector(rng, n, 1e-4f), bias = random_vector(rng, n, 1.0f),
                                     residual = random_vector(rng, n, 1.0f);
            const bool full = variant == 1;
            const int32_t zp = full ? 131 : 0;
            std::vector<float> y(n), expected(n);
            kernels_->s32_dequantize(acc.data(), zp, col_sums.data(), 0.0123f, scales.data(),
                                     full ? bias.data() : nullptr, full ? residual.data() : nullptr, y.data(), n);
            ref_->s32_dequantize(acc.data(), zp, col_sums.data(), 0.0123f, scales.data(),
                                 full ? bias.data() : nullptr, full ? residual.data() : nullptr, expected.data(), n);
            for (size_t i = 0; i < n; ++i) {
                const double a = (static_cast<double>(acc[i]) - static_cast<double>(zp) * col_sums[i]) * 0.0123 * scales[i];
                ASSERT_NEAR(y[i], expected[i],
                            test::dequantize_tolerance(a, full ? bias[i] : 0.0, full ? residual[i] : 0.0))
                    << "n=" << n << " i=" << i << " full=" << full;
            }
            expect_mostly_nonzero(y);
        }
    }
}

TEST_P(F32Kernels, F16ToF32IsExact) {
    // Every half bit pattern (normals, subnormals, zeros, infinities, NaNs), at every offset of a row.
    std::vector<uint16_t> x(65536);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint16_t>(i);
    std::vector<float> y(x.size()), expected(x.size());
    kernels_->f16_to_f32(x.data(), y.data(), x.size());
    ref_->f16_to_f32(x.data(), expected.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(expected[i])) ASSERT_TRUE(std::isnan(y[i])) << i;
        else ASSERT_EQ(y[i], expected[i]) << "bits " << i;
    }
    for (size_t n : edge_sizes()) {
        std::vector<float> out(n), ref(n);
        kernels_->f16_to_f32(x.data() + 15360, out.data(), n);  // 1.0 upwards
        ref_->f16_to_f32(x.data() + 15360, ref.data(), n);
        ASSERT_EQ(out, ref) << "n=" << n;
    }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, F32Kernels,
                         ::testing::Values(Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64),
                         [](const ::testing::TestParamInfo<Isa>& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace edgembed::simd
