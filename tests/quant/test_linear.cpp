// Whole linear layers (quant/linear.h) against a double reference: f32 and f16 weights (packed panels)
// and qc8 weights (per-token u8 activations; from 128 rows on 2 threads, row chunks), with bias, residual
// and GELU, over row counts around the tiles and the chunking and column counts around the panels.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "quant/linear.h"
#include "simd/f16.h"
#include "tests/simd/tolerances.h"

namespace {

using edgembed::DType;
using edgembed::TensorView;
using edgembed::quant::Epilogue;
using edgembed::test::kUnitRoundoff;

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

struct Case {
    size_t m, k, n;
};

// Row counts around the tiles, the 64-row blocks and qc8's 32-row chunks; column counts around the
// panels and blocks; k around a vector and with tails.
std::vector<Case> cases() {
    std::vector<Case> out;
    for (size_t m : {1, 2, 5, 16, 63, 64, 65, 130})
        for (auto [k, n] : std::vector<std::pair<size_t, size_t>>{{1, 1}, {7, 5}, {33, 47}, {64, 49}, {384, 97}})
            out.push_back({m, k, n});
    return out;
}

enum class Weights { f32, f16, qc8 };

struct Layer {
    std::vector<float> w;  // the weights as the layer sees them (f16- or int8-rounded), [n, k]
    std::vector<uint16_t> w16;
    std::vector<int8_t> w8;
    std::vector<float> scales, bias;
    std::unique_ptr<edgembed::quant::WeightArena> arena = std::make_unique<edgembed::quant::WeightArena>(0);
    std::unique_ptr<edgembed::quant::Linear> linear;  // after arena: destroyed first
};

Layer make_layer(Weights kind, size_t n, size_t k, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 0.5f);
    Layer l;
    l.w.resize(n * k);
    l.bias.resize(n);
    for (float& b : l.bias) b = normal(rng);
    const int64_t rows = static_cast<int64_t>(n), cols = static_cast<int64_t>(k);
    switch (kind) {
        case Weights::f32:
            for (float& v : l.w) v = normal(rng);
            l.linear = edgembed::quant::make_linear(TensorView{DType::f32, {rows, cols}, l.w.data(), n * k * 4}, nullptr,
                                                    l.bias.data(), *l.arena);
            break;
        case Weights::f16:
            l.w16.resize(n * k);
            for (size_t i = 0; i < n * k; ++i) {
                l.w16[i] = edgembed::simd::f32_to_f16_scalar(normal(rng));
                l.w[i] = edgembed::simd::f16_to_f32_scalar(l.w16[i]);
            }
            l.linear = edgembed::quant::make_linear(TensorView{DType::f16, {rows, cols}, l.w16.data(), n * k * 2},
                                                    nullptr, l.bias.data(), *l.arena);
            break;
        case Weights::qc8: {
            l.w8.resize(n * k);
            l.scales.resize(n);
            std::uniform_int_distribution<int> q(-127, 127);
            for (size_t j = 0; j < n; ++j) {
                l.scales[j] = 0.01f * static_cast<float>(j % 7 + 1);
                for (size_t p = 0; p < k; ++p) {
                    l.w8[j * k + p] = static_cast<int8_t>(q(rng));
                    l.w[j * k + p] = static_cast<float>(l.w8[j * k + p]) * l.scales[j];
                }
            }
            const TensorView scales{DType::f32, {rows}, l.scales.data(), n * 4};
            l.linear = edgembed::quant::make_linear(TensorView{DType::qc8, {rows, cols}, l.w8.data(), n * k}, &scales,
                                                    l.bias.data(), *l.arena);
            break;
        }
    }
    return l;
}

class LinearLayers : public ::testing::TestWithParam<Weights> {};

TEST_P(LinearLayers, MatchReference) {
    const Weights kind = GetParam();
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (const Case& c : cases())
        for (Epilogue epilogue : {Epilogue::none, Epilogue::gelu})
            for (bool with_residual : {false, true}) {
                if (with_residual && epilogue == Epilogue::gelu) continue;  // the layer takes one or the other
                Layer layer = make_layer(kind, c.n, c.k, rng);
                std::vector<float> x(c.m * c.k), residual(c.m * c.n);
                for (float& v : x) v = normal(rng);
                for (float& v : residual) v = normal(rng);
                // The output starts as garbage, or as the residual (the in-place form the encoder uses).
                std::vector<float> y = with_residual ? residual : std::vector<float>(c.m * c.n, 1e30f);
                edgembed::quant::LinearScratch scratch;
                layer.linear->forward(x.data(), c.m, y.data(), with_residual ? y.data() : nullptr, epilogue, scratch);

                for (size_t i = 0; i < c.m; ++i) {
                    // qc8 quantizes each row to u8 with step (max - min) / 255: each x is off by half a step.
                    double lo = 0.0, hi = 0.0;
                    for (size_t p = 0; p < c.k; ++p) {
                        lo = std::min(lo, double(x[i * c.k + p]));
                        hi = std::max(hi, double(x[i * c.k + p]));
                    }
                    const double half_step = kind == Weights::qc8 ? (hi - lo) / 255.0 / 2.0 : 0.0;
                    for (size_t j = 0; j < c.n; ++j) {
                        double sum = 0.0, sum_abs = 0.0, sum_abs_w = 0.0;
                        for (size_t p = 0; p < c.k; ++p) {
                            const double product = double(x[i * c.k + p]) * layer.w[j * c.k + p];
                            sum += product;
                            sum_abs += std::fabs(product);
                            sum_abs_w += std::fabs(layer.w[j * c.k + p]);
                        }
                        const double r = with_residual ? residual[i * c.n + j] : 0.0;
                        const double previous = layer.bias[j] + r;
                        const double linear = sum + previous;
                        // The bias and the residual may be added in either order, each add rounding its
                        // partial sum: bound by their magnitudes, not by their (possibly cancelling) sum.
                        const double previous_abs = std::fabs(layer.bias[j]) + std::fabs(r);
                        // Rounding: the k-term sum and the adds (edgembed::test::gemm_tolerance); qc8 also
                        // the activations' quantization, bounded by half a step times the weights' |sum|
                        // (its int32 products are exact, the scales a few roundings of the result).
                        double tolerance = edgembed::test::gemm_tolerance(sum_abs, 1.0, previous_abs, c.k) +
                                           half_step * sum_abs_w * (1.0 + 1e-6) +
                                           8.0 * kUnitRoundoff * (sum_abs + half_step * sum_abs_w);
                        double expected = linear;
                        if (epilogue == Epilogue::gelu) {
                            expected = gelu(linear);
                            // GELU's slope is at most 1.13: the input's error carries through, plus GELU's own.
                            tolerance = 1.13 * tolerance + edgembed::test::gelu_tolerance(expected, linear);
                        }
                        const float got = y[i * c.n + j];
                        ASSERT_NEAR(got, expected, tolerance)
                            << "m " << c.m << " k " << c.k << " n " << c.n << " at " << i << "," << j << " gelu "
                            << (epilogue == Epilogue::gelu) << " residual " << with_residual;
                    }
                }
            }
}

// A row's outputs have the same bits whatever the rows around it and the thread count: one row at a time
// on one thread against all 200 at once on 3 of the pool's threads (the panels' split; qc8's row chunks).
TEST_P(LinearLayers, RowsDoNotDependOnTheRowsAroundThem) {
    std::mt19937 rng(12);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const size_t m = 200, k = 384, n = 97;
    Layer layer = make_layer(GetParam(), n, k, rng);
    std::vector<float> x(m * k), residual(m * n);
    for (float& v : x) v = normal(rng);
    for (float& v : residual) v = normal(rng);
    for (Epilogue epilogue : {Epilogue::none, Epilogue::gelu}) {
        const bool with_residual = epilogue == Epilogue::none;
        edgembed::quant::LinearScratch scratch;
        std::vector<float> all = residual, one = residual;
        scratch.threads = 3;
        layer.linear->forward(x.data(), m, all.data(), with_residual ? all.data() : nullptr, epilogue, scratch);
        scratch.threads = 1;
        for (size_t i = 0; i < m; ++i)
            layer.linear->forward(x.data() + i * k, 1, one.data() + i * n, with_residual ? one.data() + i * n : nullptr,
                                  epilogue, scratch);
        EXPECT_EQ(all, one) << "gelu " << (epilogue == Epilogue::gelu);
    }
}

INSTANTIATE_TEST_SUITE_P(AllWeights, LinearLayers, ::testing::Values(Weights::f32, Weights::f16, Weights::qc8),
                         [](const ::testing::TestParamInfo<Weights>& info) {
                             return std::string(info.param == Weights::f32   ? "f32"
                                                : info.param == Weights::f16 ? "f16"
                                                                              : "qc8");
                         });

}  // namespace
