// Every kernel of simd/kernel_list.inc, on every kernel table of this build (the scalar reference and
// each ISA's, whichever the host has), against its double-precision oracle (kernel_oracles.h) over the
// edge sizes of the widest vector (1..2W+1, multiples of W +/- 1, primes, the model dimensions), with
// NaN / Inf and fully masked rows where the kernel defines them, in place where it allows that, and
// guards past every output that must stay untouched. Tolerances: tolerances.h.
// The test cases are generated from the kernel list: a kernel without a check() here (and its
// oracle_<name>) does not compile. A failure prints the seed; rerun with EDGEMBED_TEST_SEED=<seed>.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "simd/kernels.h"
#include "tests/simd/kernel_oracles.h"
#include "tests/simd/tolerances.h"

namespace edgembed::simd {
namespace {

using Rng = std::mt19937;
constexpr float kNanF = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr size_t kMaxLanes = 16;  // the widest f32 vector (avx512)
constexpr size_t kGuard = 2 * kMaxLanes;  // floats after each output, which no kernel may write
constexpr float kSentinel = -7777.25f;

std::vector<size_t> edge_sizes() {
    std::vector<size_t> sizes;
    for (size_t n = 1; n <= 2 * kMaxLanes + 1; ++n) sizes.push_back(n);
    for (size_t w : {4, 8, 16})
        for (size_t m : {3, 4, 5, 8, 24})
            for (int d : {-1, 0, 1}) sizes.push_back(m * w + d);
    for (size_t n : {37, 53, 97, 127, 251, 509, 383, 385, 512, 513, 767, 769})  // primes, around the dims
        sizes.push_back(n);
    for (size_t n : {384, 768, 1024, 1536, 3072}) sizes.push_back(n);
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    return sizes;
}

unsigned seed() {
    const char* env = std::getenv("EDGEMBED_TEST_SEED");
    return env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : 20261127u;
}

std::vector<float> random_vector(Rng& rng, size_t n, float stddev, float mean = 0.0f) {
    std::normal_distribution<float> normal(mean, stddev);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

// An output buffer of n values followed by kGuard sentinels.
std::vector<float> guarded(size_t n, float fill = 0.0f) {
    std::vector<float> v(n + kGuard, kSentinel);
    std::fill(v.begin(), v.begin() + static_cast<long>(n), fill);
    return v;
}

::testing::AssertionResult guard_intact(const std::vector<float>& v, size_t n) {
    for (size_t i = n; i < v.size(); ++i)
        if (std::memcmp(&v[i], &kSentinel, sizeof(float)) != 0)
            return ::testing::AssertionFailure() << "wrote past the output's end: element " << i << " of " << n;
    return ::testing::AssertionSuccess();
}

// Guards against a kernel that writes nothing: most outputs of these inputs are non-zero.
::testing::AssertionResult mostly_nonzero(const float* y, size_t n) {
    size_t zeros = 0;
    for (size_t i = 0; i < n; ++i) zeros += y[i] == 0.0f;
    if (zeros <= n / 2) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << zeros << " of " << n << " outputs are zero";
}

// got against the exact value: NaN where the oracle says NaN, the same infinity, else within tolerance.
::testing::AssertionResult matches(float got, double exact, double tolerance) {
    if (std::isnan(exact)) {
        if (std::isnan(got)) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "got " << got << ", the oracle says NaN";
    }
    if (std::isinf(exact)) {
        if (static_cast<double>(got) == exact) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "got " << got << ", the oracle says " << exact;
    }
    const double error = std::fabs(static_cast<double>(got) - exact);
    if (error <= tolerance) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", exact " << exact << ", error " << error
                                         << " > tolerance " << tolerance;
}

// Exactly the float nearest the exact value (or NaN for NaN): results of one IEEE operation.
::testing::AssertionResult exactly(float got, double exact) {
    if (std::isnan(exact) ? std::isnan(got) : got == static_cast<float>(exact)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", exact " << exact;
}

// Where a row's bad value goes: first, middle and last (the last lies in the vector tail).
std::vector<size_t> bad_positions(size_t n) {
    std::vector<size_t> p = {0, n / 2, n - 1};
    p.erase(std::unique(p.begin(), p.end()), p.end());
    return p;
}

// ---- One check per kernel, each comparing with its oracle.

void check(KernelTag<&Kernels::f32_softmax>, const Kernels& k, Rng& rng) {
    const float scale = 0.17677669f;  // 1/sqrt(32)
    for (size_t n : edge_sizes()) {
        // 0: no mask; 1: 0 / -inf mask; 2: wide logits (exp underflows); 3: finite biases and -inf.
        for (int variant = 0; variant < 4; ++variant) {
            const std::vector<float> x = random_vector(rng, n, variant == 2 ? 60.0f : 4.0f);
            std::vector<float> mask(n, 0.0f);
            std::uniform_real_distribution<float> bias(-8.0f, 0.0f);
            for (size_t i = 0; i < n; ++i) {
                if (variant == 3) mask[i] = bias(rng);
                if ((variant == 1 || variant == 3) && i % 3 == 2) mask[i] = -kInfF;
            }
            const float* m = variant == 1 || variant == 3 ? mask.data() : nullptr;
            const std::vector<double> exact = test::oracle_f32_softmax(x.data(), m, scale, n);
            double max_abs_logit = 0.0, max_logit = -INFINITY;
            std::vector<double> logit(n);
            for (size_t i = 0; i < n; ++i) {
                logit[i] = static_cast<double>(x[i]) * scale + (m ? m[i] : 0.0f);
                if (std::isinf(logit[i])) continue;
                max_abs_logit = std::max(max_abs_logit, std::fabs(static_cast<double>(x[i]) * scale) + std::fabs(mask[i]));
                max_logit = std::max(max_logit, logit[i]);
            }
            const bool in_place = (n + static_cast<size_t>(variant)) % 2 == 0;
            std::vector<float> y = guarded(n);
            if (in_place) std::copy(x.begin(), x.end(), y.begin());
            k.f32_softmax(in_place ? y.data() : x.data(), m, scale, y.data(), n);
            ASSERT_TRUE(guard_intact(y, n));
            for (size_t i = 0; i < n; ++i) {
                const double distance = std::isinf(logit[i]) ? 0.0 : max_logit - logit[i];
                ASSERT_TRUE(matches(y[i], exact[i], test::softmax_tolerance(exact[i], max_abs_logit, distance, n)))
                    << "n " << n << " i " << i << " variant " << variant << (in_place ? " in place" : "");
            }
            if (variant == 0) {
                ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
            }
        }
        // A fully masked row gives zeros.
        const std::vector<float> x = random_vector(rng, n, 1.0f);
        const std::vector<float> all_masked(n, -kInfF);
        std::vector<float> y = guarded(n, 7.0f);
        k.f32_softmax(x.data(), all_masked.data(), 1.0f, y.data(), n);
        ASSERT_TRUE(guard_intact(y, n));
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << "fully masked, n " << n << " i " << i;
        // NaN or +Inf anywhere gives a NaN row; -Inf in x is a masked entry.
        for (size_t at : bad_positions(n))
            for (float bad : {kNanF, kInfF, -kInfF}) {
                std::vector<float> row(n, 0.5f);
                row[at] = bad;
                const std::vector<double> exact = test::oracle_f32_softmax(row.data(), nullptr, 1.0f, n);
                std::vector<float> out = guarded(n);
                k.f32_softmax(row.data(), nullptr, 1.0f, out.data(), n);
                for (size_t i = 0; i < n; ++i)
                    ASSERT_TRUE(matches(out[i], exact[i], test::softmax_tolerance(exact[i], 0.5, 0.0, n)))
                        << "n " << n << " " << bad << " at " << at << ", i " << i;
            }
    }
}

void check(KernelTag<&Kernels::f32_layernorm>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        for (float offset : {0.0f, 5.0f, -50.0f})  // rows centred away from 0 test the mean's subtraction
            for (float eps : {1e-12f, 1e-5f}) {
                const std::vector<float> x = random_vector(rng, n, 3.0f, offset), gamma = random_vector(rng, n, 1.0f, 1.0f),
                                         beta = random_vector(rng, n, 0.5f);
                const std::vector<double> exact = test::oracle_f32_layernorm(x.data(), gamma.data(), beta.data(), eps, n);
                double mean = 0.0, mean_abs = 0.0, var = 0.0;
                for (float v : x) mean += v, mean_abs += std::fabs(v);
                mean /= static_cast<double>(n);
                mean_abs /= static_cast<double>(n);
                for (float v : x) var += (v - mean) * (v - mean);
                const double inv_std = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
                const bool in_place = n % 2 == 1;
                std::vector<float> y = guarded(n);
                if (in_place) std::copy(x.begin(), x.end(), y.begin());
                k.f32_layernorm(in_place ? y.data() : x.data(), gamma.data(), beta.data(), eps, y.data(), n);
                ASSERT_TRUE(guard_intact(y, n));
                for (size_t i = 0; i < n; ++i)
                    ASSERT_TRUE(matches(y[i], exact[i],
                                        test::layernorm_tolerance(exact[i], gamma[i], x[i] - mean, inv_std, mean_abs, n)))
                        << "n " << n << " i " << i << " offset " << offset << " eps " << eps;
                if (n > 1) {
                    ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
                }
            }
        // A constant row of ones (its sums are exact) has no deviation: y = beta exactly.
        const std::vector<float> ones(n, 1.0f), gamma = random_vector(rng, n, 1.0f), beta = random_vector(rng, n, 1.0f);
        std::vector<float> y = guarded(n);
        k.f32_layernorm(ones.data(), gamma.data(), beta.data(), 1e-12f, y.data(), n);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], beta[i]) << "constant row, n " << n << " i " << i;
        // NaN or Inf in x spreads to the whole row (through the mean).
        for (size_t at : bad_positions(n))
            for (float bad : {kNanF, kInfF}) {
                std::vector<float> row(n, 1.0f);
                row[at] = bad;
                const std::vector<double> exact = test::oracle_f32_layernorm(row.data(), gamma.data(), beta.data(), 1e-12f, n);
                k.f32_layernorm(row.data(), gamma.data(), beta.data(), 1e-12f, y.data(), n);
                for (size_t i = 0; i < n; ++i) {
                    ASSERT_TRUE(std::isnan(exact[i]));
                    ASSERT_TRUE(std::isnan(y[i])) << "n " << n << " " << bad << " at " << at << ", i " << i;
                }
            }
    }
}

void check(KernelTag<&Kernels::f32_rmsnorm>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        for (float offset : {0.0f, 5.0f, -50.0f})  // rows away from 0: the mean of squares, not a variance
            for (float eps : {1e-6f, 1e-5f}) {
                const std::vector<float> x = random_vector(rng, n, 3.0f, offset), gamma = random_vector(rng, n, 1.0f, 1.0f);
                const std::vector<double> exact = test::oracle_f32_rmsnorm(x.data(), gamma.data(), eps, n);
                const bool in_place = n % 2 == 1;
                std::vector<float> y = guarded(n);
                if (in_place) std::copy(x.begin(), x.end(), y.begin());
                k.f32_rmsnorm(in_place ? y.data() : x.data(), gamma.data(), eps, y.data(), n);
                ASSERT_TRUE(guard_intact(y, n));
                for (size_t i = 0; i < n; ++i)
                    ASSERT_TRUE(matches(y[i], exact[i], test::rmsnorm_tolerance(exact[i], n)))
                        << "n " << n << " i " << i << " offset " << offset << " eps " << eps;
                ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
            }
        // A zero row gives zeros (eps keeps the reciprocal finite); NaN or Inf in x as the oracle says (a NaN
        // row for NaN; for Inf, r = 0: NaN at the Inf, zeros elsewhere).
        const std::vector<float> zeros(n, 0.0f), gamma = random_vector(rng, n, 1.0f, 1.0f);
        std::vector<float> y = guarded(n, 7.0f);
        k.f32_rmsnorm(zeros.data(), gamma.data(), 1e-6f, y.data(), n);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << "zero row, n " << n << " i " << i;
        for (size_t at : bad_positions(n))
            for (float bad : {kNanF, kInfF}) {
                std::vector<float> row = random_vector(rng, n, 1.0f);
                row[at] = bad;
                const std::vector<double> exact = test::oracle_f32_rmsnorm(row.data(), gamma.data(), 1e-6f, n);
                k.f32_rmsnorm(row.data(), gamma.data(), 1e-6f, y.data(), n);
                for (size_t i = 0; i < n; ++i)
                    ASSERT_TRUE(matches(y[i], exact[i], test::rmsnorm_tolerance(exact[i], n)))
                        << "n " << n << " " << bad << " at " << at << ", i " << i;
            }
    }
}

void check(KernelTag<&Kernels::f32_silu>, const Kernels& k, Rng& rng) {
    const float specials[] = {0.0f, -0.0f, 12.0f, -12.0f, 30.0f, -30.0f, 87.0f, -87.0f, 1e30f, kInfF, -kInfF, kNanF};
    for (size_t n : edge_sizes()) {
        std::vector<float> x = random_vector(rng, n, 4.0f);
        for (size_t i = 0; i < n && i < std::size(specials); ++i) x[(i * 7) % n] = specials[i];
        const std::vector<double> exact = test::oracle_f32_silu(x.data(), n);
        const bool in_place = n % 2 == 0;
        std::vector<float> y = guarded(n);
        if (in_place) std::copy(x.begin(), x.end(), y.begin());
        k.f32_silu(in_place ? y.data() : x.data(), y.data(), n);
        ASSERT_TRUE(guard_intact(y, n));
        for (size_t i = 0; i < n; ++i)
            ASSERT_TRUE(matches(y[i], exact[i], test::silu_tolerance(exact[i])))
                << "n " << n << " x " << x[i] << (in_place ? " in place" : "");
        if (n > 2 * std::size(specials)) {
            ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
        }
    }
}

void check(KernelTag<&Kernels::f32_gelu_tanh>, const Kernels& k, Rng& rng) {
    const float specials[] = {0.0f, -0.0f, 5.0f, -5.0f, 12.0f, -12.0f, 30.0f, -30.0f, 1e30f, -1e30f, 1e-30f, kInfF, kNanF};
    for (size_t n : edge_sizes()) {
        std::vector<float> x = random_vector(rng, n, 4.0f);
        for (size_t i = 0; i < n && i < std::size(specials); ++i) x[(i * 7) % n] = specials[i];
        const std::vector<double> exact = test::oracle_f32_gelu_tanh(x.data(), n);
        const bool in_place = n % 2 == 0;
        std::vector<float> y = guarded(n);
        if (in_place) std::copy(x.begin(), x.end(), y.begin());
        k.f32_gelu_tanh(in_place ? y.data() : x.data(), y.data(), n);
        ASSERT_TRUE(guard_intact(y, n));
        for (size_t i = 0; i < n; ++i)
            ASSERT_TRUE(matches(y[i], exact[i], test::gelu_tanh_tolerance(exact[i], x[i])))
                << "n " << n << " x " << x[i] << (in_place ? " in place" : "");
        if (n > 2 * std::size(specials)) {
            ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
        }
    }
}

void check(KernelTag<&Kernels::f32_gelu>, const Kernels& k, Rng& rng) {
    const float specials[] = {0.0f, -0.0f, 12.0f, -12.0f, 30.0f, -30.0f, 1e30f, -1e30f, 1e-30f, kNanF};
    for (size_t n : edge_sizes()) {
        std::vector<float> x = random_vector(rng, n, 3.0f);
        for (size_t i = 0; i < n && i < std::size(specials); ++i) x[(i * 7) % n] = specials[i];
        const std::vector<double> exact = test::oracle_f32_gelu(x.data(), n);
        const bool in_place = n % 2 == 0;
        std::vector<float> y = guarded(n);
        if (in_place) std::copy(x.begin(), x.end(), y.begin());
        k.f32_gelu(in_place ? y.data() : x.data(), y.data(), n);
        ASSERT_TRUE(guard_intact(y, n));
        for (size_t i = 0; i < n; ++i)
            ASSERT_TRUE(matches(y[i], exact[i], test::gelu_tolerance(exact[i], x[i])))
                << "n " << n << " x " << x[i] << (in_place ? " in place" : "");
        if (n > 2 * std::size(specials)) {
            ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
        }
    }
}

// Values with NaN and infinities among them, at the first, middle and last positions.
std::vector<float> with_specials(Rng& rng, size_t n) {
    std::vector<float> v = random_vector(rng, n, 1.0f);
    const float specials[] = {kNanF, kInfF, -kInfF};
    const std::vector<size_t> at = bad_positions(n);
    if (n >= 8)
        for (size_t i = 0; i < at.size(); ++i) v[at[i]] = specials[(i + n) % 3];
    return v;
}

void check(KernelTag<&Kernels::f32_add>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        const std::vector<float> a = with_specials(rng, n), b = random_vector(rng, n, 1.0f);
        const std::vector<double> exact = test::oracle_f32_add(a.data(), b.data(), n);
        for (int where = 0; where < 3; ++where) {  // y separate, y == a, y == b
            std::vector<float> y = guarded(n);
            if (where == 1) std::copy(a.begin(), a.end(), y.begin());
            if (where == 2) std::copy(b.begin(), b.end(), y.begin());
            k.f32_add(where == 1 ? y.data() : a.data(), where == 2 ? y.data() : b.data(), y.data(), n);
            ASSERT_TRUE(guard_intact(y, n));
            for (size_t i = 0; i < n; ++i) ASSERT_TRUE(exactly(y[i], exact[i])) << "n " << n << " i " << i << " where " << where;
        }
    }
}

void check(KernelTag<&Kernels::f32_max>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        for (int variant = 0; variant < 3; ++variant) {  // finite; NaN / Inf in x; NaN / Inf in y
            const std::vector<float> x = variant == 1 ? with_specials(rng, n) : random_vector(rng, n, 1.0f);
            const std::vector<float> before = variant == 2 ? with_specials(rng, n) : random_vector(rng, n, 1.0f);
            const std::vector<double> exact = test::oracle_f32_max(x.data(), before.data(), n);
            std::vector<float> y = guarded(n);
            std::copy(before.begin(), before.end(), y.begin());
            k.f32_max(x.data(), y.data(), n);
            ASSERT_TRUE(guard_intact(y, n));
            for (size_t i = 0; i < n; ++i)
                ASSERT_TRUE(exactly(y[i], exact[i]))
                    << "n " << n << " i " << i << ": max(y " << before[i] << ", x " << x[i] << ")";
        }
    }
}

void check(KernelTag<&Kernels::f32_sum_squares>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        const std::vector<float> x = random_vector(rng, n, 1.0f, 0.5f);
        const double exact = test::oracle_f32_sum_squares(x.data(), n);
        ASSERT_TRUE(matches(k.f32_sum_squares(x.data(), n), exact, test::sum_squares_tolerance(exact, n))) << "n " << n;
        for (size_t at : bad_positions(n))
            for (float bad : {kNanF, kInfF, -kInfF}) {
                std::vector<float> row = x;
                row[at] = bad;
                const double e = test::oracle_f32_sum_squares(row.data(), n);
                ASSERT_TRUE(matches(k.f32_sum_squares(row.data(), n), e, 0.0)) << "n " << n << " " << bad << " at " << at;
            }
    }
}

void check(KernelTag<&Kernels::f32_scale>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes())
        for (float s : {0.37f, -2.0f, 0.0f}) {
            const std::vector<float> x = with_specials(rng, n);
            const std::vector<double> exact = test::oracle_f32_scale(x.data(), s, n);
            const bool in_place = n % 2 == 0;
            std::vector<float> y = guarded(n);
            if (in_place) std::copy(x.begin(), x.end(), y.begin());
            k.f32_scale(in_place ? y.data() : x.data(), s, y.data(), n);
            ASSERT_TRUE(guard_intact(y, n));
            for (size_t i = 0; i < n; ++i) ASSERT_TRUE(exactly(y[i], exact[i])) << "n " << n << " i " << i << " s " << s;
        }
}

// Random values, NaN / Inf, denormals, the largest floats (which round up to inf) and exact ties of both parities.
void check(KernelTag<&Kernels::f32_round_bf16>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes()) {
        std::vector<float> x = with_specials(rng, n);
        const float specials[] = {1e-40f, -1e-40f, std::numeric_limits<float>::max(), -0.0f,
                                  1.0f + 0x1p-8f, 1.0f + 0x3p-8f, 1.0f + 0x1p-8f + 0x1p-20f, std::numeric_limits<float>::min()};
        for (size_t i = 0; i < std::size(specials) && i + 1 < n; ++i) x[1 + (i * 5) % (n - 1)] = specials[i];
        const std::vector<double> exact = test::oracle_f32_round_bf16(x.data(), n);
        const bool in_place = n % 2 == 0;
        std::vector<float> y = guarded(n);
        if (in_place) std::copy(x.begin(), x.end(), y.begin());
        k.f32_round_bf16(in_place ? y.data() : x.data(), y.data(), n);
        ASSERT_TRUE(guard_intact(y, n));
        for (size_t i = 0; i < n; ++i)
            ASSERT_TRUE(exactly(y[i], exact[i]) && std::signbit(y[i]) == std::signbit(exact[i]))
                << "n " << n << " i " << i << " x " << x[i];
    }
}

// The documented recipe bit for bit, and (in double) q reconstructs every finite x within its tolerance.
void check(KernelTag<&Kernels::f32_add_products_f64>, const Kernels& k, Rng& rng) {
    for (size_t n : edge_sizes())
        for (size_t channels : {0, 1, 3, 8, 17})
            for (size_t rows : {1, 4, 7})  // the 4-row blocks, and rows left over
                for (int variant = 0; variant < 2; ++variant) {  // finite; NaN / Inf in x, w and y
                    const size_t ldw = n + (rows == 4 ? 5 : 0);  // w's rows padded apart, or packed
                    const size_t xs = rows * channels, ws = channels * ldw, ys = rows * n;
                    const std::vector<float> x = variant ? with_specials(rng, xs) : random_vector(rng, xs, 3.0f),
                                             w = variant ? with_specials(rng, ws) : random_vector(rng, ws, 0.1f),
                                             before = variant ? with_specials(rng, ys) : random_vector(rng, ys, 1.0f);
                    std::vector<float> y = guarded(ys);
                    std::copy(before.begin(), before.end(), y.begin());
                    k.f32_add_products_f64(x.data(), rows, channels, w.data(), ldw, y.data(), n);
                    ASSERT_TRUE(guard_intact(y, ys));
                    std::vector<float> packed(channels * n);  // the oracle's w: [channels, n]
                    for (size_t c = 0; c < channels; ++c)
                        std::copy_n(w.begin() + c * ldw, n, packed.begin() + c * n);
                    for (size_t r = 0; r < rows; ++r) {
                        const std::vector<double> exact = test::oracle_f32_add_products_f64(
                            x.data() + r * channels, channels, packed.data(), before.data() + r * n, n);
                        for (size_t j = 0; j < n; ++j)
                            ASSERT_TRUE(exactly(y[r * n + j], exact[j]))
                                << "n " << n << " channels " << channels << " rows " << rows << " r " << r << " j " << j
                                << " variant " << variant;
                    }
                }
}

void check(KernelTag<&Kernels::f32_quantize_qu8>, const Kernels& k, Rng& rng) {
    auto run = [&](const std::vector<float>& x, const std::string& what) {
        const size_t n = x.size();
        const test::Qu8Row exact = test::oracle_f32_quantize_qu8(x.data(), n);
        std::vector<uint8_t> q(n + kGuard, 0xA5);
        int32_t zero_point = -12345;
        const float scale = k.f32_quantize_qu8(x.data(), n, q.data(), &zero_point);
        if (std::isnan(exact.scale)) {
            ASSERT_TRUE(std::isnan(scale)) << what << ": scale " << scale << ", the oracle says NaN";
        } else {
            ASSERT_EQ(scale, exact.scale) << what;
        }
        ASSERT_EQ(zero_point, exact.zero_point) << what;
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(q[i], exact.q[i]) << what << " i " << i << " x " << x[i];
        for (size_t i = n; i < q.size(); ++i) ASSERT_EQ(q[i], 0xA5) << what << ": wrote past the end at " << i;
        if (!std::isnormal(exact.scale)) return;
        for (size_t i = 0; i < n; ++i)
            ASSERT_NEAR((static_cast<double>(q[i]) - zero_point) * scale, x[i], test::qu8_reconstruction_tolerance(scale, x[i]))
                << what << " i " << i;
    };
    for (size_t n : edge_sizes()) {
        for (float shift : {0.0f, 3.0f, -3.0f}) {  // mixed signs, all positive, all negative
            std::vector<float> x = random_vector(rng, n, 1.0f, shift);
            run(x, "n " + std::to_string(n) + " shift " + std::to_string(shift));
        }
        run(std::vector<float>(n, 0.0f), "zeros, n " + std::to_string(n));
        run(std::vector<float>(n, 1e-40f), "a subnormal range, n " + std::to_string(n));
        for (size_t at : bad_positions(n))
            for (float bad : {kNanF, kInfF, -kInfF}) {
                std::vector<float> x = random_vector(rng, n, 1.0f);
                x[at] = bad;
                run(x, "n " + std::to_string(n) + " " + std::to_string(bad) + " at " + std::to_string(at));
            }
    }
}

void check(KernelTag<&Kernels::s32_dequantize>, const Kernels& k, Rng& rng) {
    std::uniform_int_distribution<int32_t> big(-(1 << 26), 1 << 26), sums(-(1 << 18), 1 << 18), huge(-(1 << 30), 1 << 30);
    for (size_t n : edge_sizes()) {
        // 0: zero point 0, no bias or residual; 1: zero point, bias and residual; 2: residual == y;
        // 3: accumulators beyond 2^24 (their float conversion rounds).
        for (int variant = 0; variant < 4; ++variant) {
            std::vector<int32_t> acc(n), col_sums(n);
            for (size_t i = 0; i < n; ++i) {
                acc[i] = variant == 3 ? huge(rng) : big(rng);
                col_sums[i] = sums(rng);
            }
            const std::vector<float> scales = random_vector(rng, n, 1e-4f), bias = random_vector(rng, n, 1.0f),
                                     residual = random_vector(rng, n, 1.0f);
            const bool full = variant == 1 || variant == 2;
            const int32_t zp = full ? 131 : 0;
            const float row_scale = 0.0123f;
            const float* b = full ? bias.data() : nullptr;
            const float* r = full ? residual.data() : nullptr;
            const std::vector<double> exact =
                test::oracle_s32_dequantize(acc.data(), zp, col_sums.data(), row_scale, scales.data(), b, r, n);
            std::vector<float> y = guarded(n);
            if (variant == 2) std::copy(residual.begin(), residual.end(), y.begin());
            k.s32_dequantize(acc.data(), zp, col_sums.data(), row_scale, scales.data(), b, variant == 2 ? y.data() : r,
                             y.data(), n);
            ASSERT_TRUE(guard_intact(y, n));
            for (size_t i = 0; i < n; ++i) {
                const double scaled = (static_cast<double>(acc[i]) - static_cast<double>(zp) * col_sums[i]) * row_scale * scales[i];
                ASSERT_TRUE(matches(y[i], exact[i], test::dequantize_tolerance(scaled, b ? b[i] : 0.0, r ? r[i] : 0.0)))
                    << "n " << n << " i " << i << " variant " << variant;
            }
            ASSERT_TRUE(mostly_nonzero(y.data(), n)) << "n " << n;
        }
    }
}

void check(KernelTag<&Kernels::f16_to_f32>, const Kernels& k, Rng&) {
    // Every half bit pattern (normals, subnormals, zeros, infinities, NaNs) in one row...
    std::vector<uint16_t> x(65536);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint16_t>(i);
    const std::vector<double> exact = test::oracle_f16_to_f32(x.data(), x.size());
    std::vector<float> y = guarded(x.size());
    k.f16_to_f32(x.data(), y.data(), x.size());
    ASSERT_TRUE(guard_intact(y, x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_TRUE(exactly(y[i], exact[i])) << "bits " << i;
        ASSERT_EQ(std::signbit(y[i]), (i & 0x8000) != 0) << "bits " << i;
    }
    // ...and rows of every edge size from several starts (unaligned ones, subnormals, the largest values).
    for (size_t start : {size_t{15360}, size_t{1}, size_t{31743 - 3072}, size_t{64511 - 3072}})
        for (size_t n : edge_sizes()) {
            std::vector<float> out = guarded(n);
            k.f16_to_f32(x.data() + start, out.data(), n);
            ASSERT_TRUE(guard_intact(out, n));
            for (size_t i = 0; i < n; ++i) ASSERT_TRUE(exactly(out[i], exact[start + i])) << "start " << start << " n " << n;
        }
}

// Both unpacked GEMMs: m up to two 4-row tiles + 1, n around the column tiles, k over edge sizes, strided
// operands, with and without accumulate; outside C's m x n entries (the rest of each row's stride, the
// row after) nothing is written. A NaN in one row of A makes that row of C NaN and no other.
template <bool NT>
void check_gemm(const Kernels& k, Rng& rng) {
    const auto kernel = NT ? k.f32_gemm_nt : k.f32_gemm_nn;
    const auto oracle = NT ? test::oracle_f32_gemm_nt : test::oracle_f32_gemm_nn;
    const std::vector<size_t> ms = {1, 2, 3, 4, 5, 7, 8, 9};
    const std::vector<size_t> ns = {1, 3, 4, 5, 6, 7, 15, 16, 17, 31, 32, 33, 64, 65, 384};
    const std::vector<size_t> ks = {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 97, 384, 1536};
    for (size_t m : ms)
        for (size_t n : ns)
            for (size_t kk : ks) {
                if (m * n * kk > 400000) continue;  // the large shapes once per m are enough
                const size_t lda = kk + 3, ldb = (NT ? kk : n) + 5, ldc = n + 2;
                std::vector<float> a = random_vector(rng, m * lda, 1.0f);
                const std::vector<float> b = random_vector(rng, (NT ? n : kk) * ldb, 1.0f);
                const std::vector<float> previous = random_vector(rng, (m + 1) * ldc, 1.0f);
                const bool accumulate = (m + n + kk) % 2 == 1;
                const float alpha = accumulate ? 0.5f : 1.0f;
                const size_t nan_row = (m + kk) % 4 == 0 ? (n + kk) % m : m;  // m: none
                if (nan_row < m) a[nan_row * lda + kk / 2] = kNanF;
                std::vector<float> abs_a(a.size()), abs_b(b.size());
                std::transform(a.begin(), a.end(), abs_a.begin(), [](float v) { return std::fabs(v); });
                std::transform(b.begin(), b.end(), abs_b.begin(), [](float v) { return std::fabs(v); });
                const std::vector<double> exact = oracle(a.data(), lda, b.data(), ldb, alpha, accumulate, previous.data(), ldc, m, n, kk);
                const std::vector<double> magnitude = oracle(abs_a.data(), lda, abs_b.data(), ldb, 1.0, false, nullptr, ldc, m, n, kk);
                std::vector<float> c = previous;
                kernel(a.data(), lda, b.data(), ldb, alpha, accumulate, c.data(), ldc, m, n, kk);
                for (size_t i = 0; i <= m; ++i)
                    for (size_t j = 0; j < ldc; ++j) {
                        const float got = c[i * ldc + j];
                        if (i == m || j >= n) {
                            ASSERT_EQ(std::memcmp(&got, &previous[i * ldc + j], sizeof got), 0)
                                << "wrote outside C at " << i << "," << j << " (m " << m << " n " << n << ")";
                            continue;
                        }
                        const double prev = accumulate ? previous[i * ldc + j] : 0.0;
                        ASSERT_TRUE(matches(got, exact[i * n + j], test::gemm_tolerance(magnitude[i * n + j], alpha, prev, kk)))
                            << (NT ? "nt" : "nn") << " m " << m << " n " << n << " k " << kk << " at " << i << "," << j
                            << (i == nan_row ? " (NaN row)" : "");
                    }
            }
}

void check(KernelTag<&Kernels::f32_gemm_nt>, const Kernels& k, Rng& rng) { check_gemm<true>(k, rng); }
void check(KernelTag<&Kernels::f32_gemm_nn>, const Kernels& k, Rng& rng) { check_gemm<false>(k, rng); }

void check(KernelTag<&Kernels::f32_packed_panel_width>, const Kernels& k, Rng&) {
    const size_t width = k.f32_packed_panel_width();
    ASSERT_TRUE(test::oracle_f32_packed_panel_width(width)) << "panel width " << width;
    ASSERT_EQ(k.f32_packed_panel_width(), width) << "the width changed between calls";
}

// The packed layout exactly (padding included), nothing written past it, and a panel-aligned slice of
// W packed on its own equals the same panels of the whole (quant/f32_gemm.cpp packs f16 weights so).
void check(KernelTag<&Kernels::f32_pack_panels>, const Kernels& k, Rng& rng) {
    const size_t width = k.f32_packed_panel_width();
    for (size_t n : std::vector<size_t>{1, width - 1, width, width + 1, 2 * width + 5, 384, 1536})
        for (size_t kk : {1, 2, 7, 17, 384}) {
            if (n == 0 || n * kk > 400000) continue;
            const std::vector<float> w = random_vector(rng, n * kk, 1.0f);
            const std::vector<float> exact = test::oracle_f32_pack_panels(w.data(), n, kk, width);
            std::vector<float> packed(exact.size() + kGuard, kSentinel);
            k.f32_pack_panels(w.data(), n, kk, packed.data());
            ASSERT_TRUE(guard_intact(packed, exact.size())) << "n " << n << " k " << kk;
            ASSERT_EQ(std::memcmp(packed.data(), exact.data(), exact.size() * sizeof(float)), 0)
                << "layout differs, n " << n << " k " << kk;
            if (n > width) {
                std::vector<float> tail(exact.size() - width * kk + kGuard, kSentinel);
                k.f32_pack_panels(w.data() + width * kk, n - width, kk, tail.data());
                ASSERT_EQ(std::memcmp(tail.data(), exact.data() + width * kk, (exact.size() - width * kk) * sizeof(float)), 0)
                    << "a slice from the second panel differs, n " << n << " k " << kk;
            }
        }
}

// The packed GEMM on weights packed by the same table: every m up to two 8-row tiles + 1, n around the
// panel width, k over edge sizes, from the first or the second panel, with and without bias and
// accumulate; nothing written outside C's m x n entries; a NaN row of A stays in its row of C.
void check(KernelTag<&Kernels::f32_gemm_packed>, const Kernels& k, Rng& rng) {
    const size_t width = k.f32_packed_panel_width();
    const std::vector<size_t> ns = {1, width - 1, width, width + 1, 2 * width + 5, 384};
    const std::vector<size_t> ks = {1, 2, 7, 16, 17, 33, 384, 1536};
    for (size_t m = 1; m <= 17; ++m)
        for (size_t n : ns)
            for (size_t kk : ks)
                for (size_t start_panel = 0; start_panel < 2; ++start_panel) {
                    if (n == 0 || m * n * kk > 400000 || (start_panel == 1 && n <= width)) continue;
                    const size_t panels = (n + width - 1) / width;
                    const std::vector<float> w = random_vector(rng, n * kk, 1.0f);
                    std::vector<float> packed(panels * width * kk, kNanF);
                    k.f32_pack_panels(w.data(), n, kk, packed.data());
                    const size_t first = start_panel * width, cols = n - first;
                    const size_t lda = kk + 3, ldc = cols + 2;
                    std::vector<float> a = random_vector(rng, m * lda, 1.0f);
                    const std::vector<float> bias = random_vector(rng, n, 1.0f);
                    const std::vector<float> previous = random_vector(rng, (m + 1) * ldc, 1.0f);
                    const bool accumulate = (m + n + kk) % 2 == 1;
                    const float* b = (m + kk) % 3 != 0 ? bias.data() + first : nullptr;
                    const size_t nan_row = (m + kk + start_panel) % 5 == 0 ? (n + kk) % m : m;  // m: none
                    if (nan_row < m) a[nan_row * lda + kk / 2] = kNanF;
                    const float* wf = w.data() + first * kk;
                    const std::vector<double> exact =
                        test::oracle_f32_gemm_packed(a.data(), lda, wf, b, accumulate, previous.data(), ldc, m, cols, kk);
                    std::vector<float> abs_a(a.size()), abs_w(cols * kk), abs_bias(cols);
                    std::transform(a.begin(), a.end(), abs_a.begin(), [](float v) { return std::fabs(v); });
                    std::transform(wf, wf + cols * kk, abs_w.begin(), [](float v) { return std::fabs(v); });
                    for (size_t j = 0; j < cols; ++j) abs_bias[j] = b ? std::fabs(b[j]) : 0.0f;
                    const std::vector<double> magnitude = test::oracle_f32_gemm_packed(
                        abs_a.data(), lda, abs_w.data(), abs_bias.data(), false, nullptr, ldc, m, cols, kk);
                    std::vector<float> c = previous;
                    k.f32_gemm_packed(a.data(), lda, packed.data() + first * kk, b, accumulate, c.data(), ldc, m, cols, kk);
                    for (size_t i = 0; i <= m; ++i)
                        for (size_t j = 0; j < ldc; ++j) {
                            const float got = c[i * ldc + j];
                            if (i == m || j >= cols) {
                                ASSERT_EQ(std::memcmp(&got, &previous[i * ldc + j], sizeof got), 0)
                                    << "wrote outside C at " << i << "," << j << " (m " << m << " cols " << cols << ")";
                                continue;
                            }
                            const double prev = accumulate ? previous[i * ldc + j] : 0.0;
                            ASSERT_TRUE(matches(got, exact[i * cols + j],
                                                test::gemm_tolerance(magnitude[i * cols + j], 1.0, prev, kk + 1)))
                                << "m " << m << " n " << n << " k " << kk << " from panel " << start_panel << " at " << i
                                << "," << j << (i == nan_row ? " (NaN row)" : "");
                        }
                }
}

// Attention over the tile edges (lengths around the 16-row query blocks and 64-key tiles), head sizes
// around the vector widths, every key range kind (all keys, windows of radius 1, 3 and 64, causal, an
// asymmetric band), with and without a relative bias, strided operands, a query tile in the middle of
// the text, a NaN query row (NaN there, nothing elsewhere), and in place over q (the same bits). Columns
// past d and rows past m stay.
void check(KernelTag<&Kernels::f32_attention>, const Kernels& k, Rng& rng) {
    struct Range { size_t before, after; };
    const std::vector<size_t> lengths = {1, 2, 3, 5, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 130, 200};
    for (size_t d : {1, 5, 16, 17, 64})
        for (size_t keys : lengths) {
            if (d != 64 && keys > 65) continue;  // long texts at the real head size only
            const std::vector<Range> ranges = {{keys, keys}, {1, 1}, {3, 3}, {64, 64}, {keys, 0}, {5, 2}};
            for (size_t variant = 0; variant < ranges.size() * 2; ++variant) {
                const Range range = ranges[variant / 2];
                const bool with_bias = variant % 2 == 1;
                const size_t ldq = 3 * d + 1, ldkv = 3 * d + 2, ldo = d + 3;
                // Query rows first .. first + m - 1: all, or a tile in the middle.
                const size_t first = (keys > 20 && variant % 3 == 0) ? keys / 3 : 0;
                const size_t m = first == 0 ? keys : std::min<size_t>(keys - first, 17);
                std::vector<float> q = random_vector(rng, keys * ldq, 1.0f);
                const std::vector<float> kk = random_vector(rng, keys * ldkv, 1.0f), v = random_vector(rng, keys * ldkv, 1.0f);
                const std::vector<float> bias_table = random_vector(rng, 2 * keys - 1, 2.0f);
                const float* bias = with_bias ? bias_table.data() + (keys - 1) : nullptr;
                const size_t nan_row = m > 2 && variant % 4 == 1 ? m / 2 : m;  // m: none
                if (nan_row < m) q[(first + nan_row) * ldq + d / 2] = kNanF;
                const float scale = 1.0f / std::sqrt(static_cast<float>(d)) * 1.3f;
                const float* qf = q.data() + first * ldq;
                const std::vector<double> exact = test::oracle_f32_attention(qf, ldq, kk.data(), v.data(), ldkv, bias, scale,
                                                                             first, m, keys, range.before, range.after, d);
                std::vector<float> abs_v(v.size());
                std::transform(v.begin(), v.end(), abs_v.begin(), [](float x) { return std::fabs(x); });
                const std::vector<double> weighted = test::oracle_f32_attention(qf, ldq, kk.data(), abs_v.data(), ldkv, bias, scale,
                                                                                first, m, keys, range.before, range.after, d);
                std::vector<float> out((m + 1) * ldo, kSentinel);
                k.f32_attention(qf, ldq, kk.data(), v.data(), ldkv, bias, scale, first, m, keys, range.before, range.after, d, 1,
                                out.data(), ldo);
                if (variant % 3 == 1) {  // in place: the output over the query rows (the same values)
                    std::vector<float> in_place = q;
                    float* rows = in_place.data() + first * ldq;
                    k.f32_attention(rows, ldq, kk.data(), v.data(), ldkv, bias, scale, first, m, keys, range.before, range.after,
                                    d, 1, rows, ldq);
                    for (size_t r = 0; r < m; ++r)
                        for (size_t c = 0; c < ldq; ++c) {
                            const float want = c < d ? out[r * ldo + c] : qf[r * ldq + c];
                            const float got = rows[r * ldq + c];
                            ASSERT_TRUE(std::memcmp(&got, &want, sizeof got) == 0 || (std::isnan(got) && std::isnan(want)))
                                << "in place: d " << d << " keys " << keys << " row " << r << " col " << c;
                        }
                }
                size_t nonzero = 0;
                for (size_t r = 0; r <= m; ++r) {
                    const size_t i = first + r;
                    double max_abs_logit = 0.0;
                    for (size_t j = 0; r < m && j < keys; ++j) {
                        double magnitude = 0.0;
                        for (size_t c = 0; c < d; ++c) magnitude += std::fabs(static_cast<double>(qf[r * ldq + c]) * kk[j * ldkv + c]);
                        if (bias) magnitude += std::fabs(bias[static_cast<ptrdiff_t>(j) - static_cast<ptrdiff_t>(i)]);
                        max_abs_logit = std::max(max_abs_logit, magnitude * scale);
                    }
                    for (size_t c = 0; c < ldo; ++c) {
                        const float got = out[r * ldo + c];
                        if (r == m || c >= d) {
                            ASSERT_EQ(std::memcmp(&got, &kSentinel, sizeof got), 0) << "wrote outside out at " << r << "," << c;
                            continue;
                        }
                        nonzero += got != 0.0f;
                        ASSERT_TRUE(matches(got, exact[r * d + c],
                                            test::attention_tolerance(weighted[r * d + c], max_abs_logit, d, keys)))
                            << "d " << d << " keys " << keys << " before " << range.before << " after " << range.after
                            << (with_bias ? " bias" : "") << " first " << first << " row " << r << " col " << c
                            << (r == nan_row ? " (NaN row)" : "");
                    }
                }
                ASSERT_GT(nonzero, m * d / 2) << "mostly zero output: d " << d << " keys " << keys;
            }
        }
    // Grouped-query attention: heads query heads over one K / V head give, head by head, the bits of a call with
    // one head (held to the oracle above), also in place; 17 heads pass the kernel's stack of 16.
    for (size_t d : {5, 64, 128})
        for (size_t heads : {2, 3, 17})
            for (size_t keys : {1, 17, 65, 130})
                for (bool causal : {false, true}) {
                    if (heads == 17 && d != 5) continue;
                    const size_t ldq = heads * d + 3, ldkv = d + 2, ldo = heads * d + 1, before = keys, after = causal ? 0 : keys;
                    const std::vector<float> q = random_vector(rng, keys * ldq, 1.0f);
                    const std::vector<float> kk = random_vector(rng, keys * ldkv, 1.0f), v = random_vector(rng, keys * ldkv, 1.0f);
                    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
                    std::vector<float> grouped(keys * ldo, kSentinel), single(keys * ldo, kSentinel), in_place = q;
                    k.f32_attention(q.data(), ldq, kk.data(), v.data(), ldkv, nullptr, scale, 0, keys, keys, before, after, d, heads,
                                    grouped.data(), ldo);
                    for (size_t head = 0; head < heads; ++head)
                        k.f32_attention(q.data() + head * d, ldq, kk.data(), v.data(), ldkv, nullptr, scale, 0, keys, keys, before,
                                        after, d, 1, single.data() + head * d, ldo);
                    k.f32_attention(in_place.data(), ldq, kk.data(), v.data(), ldkv, nullptr, scale, 0, keys, keys, before, after,
                                    d, heads, in_place.data(), ldq);
                    for (size_t r = 0; r < keys; ++r)
                        for (size_t c = 0; c < ldo; ++c) {
                            ASSERT_EQ(std::memcmp(&grouped[r * ldo + c], &single[r * ldo + c], sizeof(float)), 0)
                                << "grouped: d " << d << " heads " << heads << " keys " << keys << (causal ? " causal" : "")
                                << " row " << r << " col " << c;
                            if (c < heads * d) {
                                ASSERT_EQ(std::memcmp(&in_place[r * ldq + c], &single[r * ldo + c], sizeof(float)), 0)
                                    << "grouped in place: d " << d << " heads " << heads << " row " << r << " col " << c;
                            }
                        }
                    ASSERT_TRUE(mostly_nonzero(grouped.data(), grouped.size())) << "d " << d << " heads " << heads << " keys " << keys;
                }
}

// bf16_attention against its definition in double (oracle_bf16_attention: the kernel's key tiles and each
// weight's bf16 rounding, a tolerance per output): head sizes 2..256, 1..70 query rows (around the 32-row
// blocks) from the text's start or its middle, 1..300 keys (around the 128-key tiles), every key range kind
// (all keys, windows of radius 1, 3 and 64, causal, an asymmetric band), with and without a relative bias,
// groups of 1, 2 and 4 query heads (each held to the oracle, and each the bits of a call with one head),
// strided operands, a NaN query row; nothing written outside out. The cases cycle through these kinds;
// EDGEMBED_FULL_SHAPES=1 runs six per size instead of two.
void check(KernelTag<&Kernels::bf16_attention>, const Kernels& k, Rng& rng) {
    struct Range { size_t before, after; };
    const char* full_shapes = std::getenv("EDGEMBED_FULL_SHAPES");
    const size_t per_size = full_shapes && std::string(full_shapes) == "1" ? 6 : 2;
    const size_t row_counts[] = {1, 2, 31, 32, 33, 64, 70}, group_sizes[] = {1, 2, 4};
    size_t variant = 0;
    for (size_t d : {2, 8, 64, 128, 256})
        for (size_t keys : {1, 2, 3, 17, 33, 64, 127, 128, 129, 130, 255, 256, 257, 300})
            for (size_t repeat = 0; repeat < per_size; ++repeat, ++variant) {
                const Range ranges[] = {{keys, keys}, {1, 1}, {3, 3}, {64, 64}, {keys, 0}, {5, 2}};
                const Range range = ranges[variant % 6];
                const size_t heads = group_sizes[variant / 6 % 3];
                const bool with_bias = variant / 18 % 2 == 1;
                const size_t m = std::min(row_counts[variant % 7], keys);
                const size_t first = variant / 3 % 2 == 1 ? (keys - m) / 2 : 0;
                const size_t ldq = heads * d + 3, ldkv = d + 2, ldo = heads * d + 1;
                std::vector<float> q = random_vector(rng, keys * ldq, 1.0f);
                const std::vector<float> kk = random_vector(rng, keys * ldkv, 1.0f), v = random_vector(rng, keys * ldkv, 1.0f);
                const std::vector<float> bias_table = random_vector(rng, 2 * keys - 1, 2.0f);
                const float* bias = with_bias ? bias_table.data() + (keys - 1) : nullptr;
                const size_t nan_row = m > 2 && variant % 5 == 4 ? m / 2 : m;  // in head 0; m: none
                if (nan_row < m) q[(first + nan_row) * ldq + d / 2] = kNanF;
                const float scale = 1.0f / std::sqrt(static_cast<float>(d)) * 1.3f;
                const float* qf = q.data() + first * ldq;
                std::vector<float> out((m + 1) * ldo, kSentinel), single((m + 1) * ldo, kSentinel);
                k.bf16_attention(qf, ldq, kk.data(), v.data(), ldkv, bias, scale, first, m, keys, range.before, range.after, d,
                                 heads, out.data(), ldo);
                std::ostringstream what;
                what << "d " << d << " keys " << keys << " rows " << m << " from " << first << " before " << range.before
                     << " after " << range.after << " heads " << heads << (with_bias ? " bias" : "");
                size_t nonzero = 0;
                for (size_t head = 0; head < heads; ++head) {
                    const test::Bf16Attention exact = test::oracle_bf16_attention(
                        qf + head * d, ldq, kk.data(), v.data(), ldkv, bias, scale, first, m, keys, range.before, range.after, d);
                    if (heads > 1)
                        k.bf16_attention(qf + head * d, ldq, kk.data(), v.data(), ldkv, bias, scale, first, m, keys, range.before,
                                         range.after, d, 1, single.data() + head * d, ldo);
                    for (size_t r = 0; r < m; ++r)
                        for (size_t c = 0; c < d; ++c) {
                            const float got = out[r * ldo + head * d + c];
                            nonzero += got != 0.0f;
                            ASSERT_TRUE(matches(got, exact.out[r * d + c], exact.tolerance[r * d + c]))
                                << what.str() << " head " << head << " row " << r << " col " << c
                                << (head == 0 && r == nan_row ? " (NaN row)" : "");
                            if (heads > 1) {
                                ASSERT_EQ(std::memcmp(&got, &single[r * ldo + head * d + c], sizeof got), 0)
                                    << what.str() << ": head " << head << " differs from a call with one head at " << r << "," << c;
                            }
                        }
                }
                for (size_t r = 0; r <= m; ++r)
                    for (size_t c = r == m ? 0 : heads * d; c < ldo; ++c)
                        ASSERT_EQ(std::memcmp(&out[r * ldo + c], &kSentinel, sizeof(float)), 0)
                            << what.str() << ": wrote outside out at " << r << "," << c;
                ASSERT_GT(nonzero, m * d * heads / 2) << "mostly zero output: " << what.str();
            }
}

void check(KernelTag<&Kernels::f32_rope>, const Kernels& k, Rng& rng) {
    for (size_t half : edge_sizes()) {
        if (half > 512) continue;
        const std::vector<float> x = random_vector(rng, 2 * half, 2.0f);
        std::vector<float> cos(half), sin(half);
        std::uniform_real_distribution<float> angle(-100.0f, 100.0f);
        for (size_t i = 0; i < half; ++i) {
            const float a = angle(rng);
            cos[i] = std::cos(a);
            sin[i] = std::sin(a);
        }
        const std::vector<double> exact = test::oracle_f32_rope(x.data(), cos.data(), sin.data(), half);
        std::vector<float> y = guarded(2 * half);
        std::copy(x.begin(), x.end(), y.begin());
        k.f32_rope(y.data(), cos.data(), sin.data(), half);
        ASSERT_TRUE(guard_intact(y, 2 * half));
        ASSERT_TRUE(mostly_nonzero(y.data(), 2 * half));
        for (size_t i = 0; i < 2 * half; ++i) {
            const size_t p = i % half;
            const double magnitude = std::fabs(static_cast<double>(x[p]) * cos[p]) + std::fabs(static_cast<double>(x[p + half]) * sin[p]) +
                                     std::fabs(static_cast<double>(x[p]) * sin[p]) + std::fabs(static_cast<double>(x[p + half]) * cos[p]);
            ASSERT_TRUE(matches(y[i], exact[i], test::rope_tolerance(exact[i], magnitude))) << "half " << half << " i " << i;
        }
    }
}

// A kernel of the list without a check() above falls to this declaration, which the list's
// static_assert below reports.
struct MissingCheck {};
template <auto Kernel>
MissingCheck check(KernelTag<Kernel>, const Kernels&, Rng&);

// ---- The tables under test: the scalar reference and every ISA's (skipped where the host lacks it).

struct Table {
    const char* name;
    Isa isa;
    bool reference;  // reference_kernels() rather than kernels_for(isa)
};

void PrintTo(const Table& t, std::ostream* os) { *os << t.name; }

const Kernels* table_kernels(const Table& t) { return t.reference ? &reference_kernels() : kernels_for(t.isa); }

class KernelsVsOracle : public ::testing::TestWithParam<Table> {
protected:
    void SetUp() override {
        kernels_ = table_kernels(GetParam());
        if (kernels_ == nullptr) GTEST_SKIP() << GetParam().name << " is not available on this host";
        rng_.seed(seed());
    }
    const Kernels* kernels_ = nullptr;
    Rng rng_;
    ::testing::ScopedTrace trace_{__FILE__, __LINE__, "EDGEMBED_TEST_SEED=" + std::to_string(seed())};
};

#define EDGEMBED_KERNEL(name, ret, params)                                                                         \
    static_assert(!std::is_same_v<decltype(check(KernelTag<&Kernels::name>{}, std::declval<const Kernels&>(),      \
                                                 std::declval<Rng&>())),                                           \
                                  MissingCheck>,                                                                   \
                  "simd/kernel_list.inc lists " #name " but it has no test: write oracle_" #name                   \
                  " in tests/simd/kernel_oracles.{h,cpp} and check(KernelTag<&Kernels::" #name                     \
                  ">, ...) in tests/simd/test_f32_kernels.cpp");                                                   \
    TEST_P(KernelsVsOracle, name) {                                                                                \
        [[maybe_unused]] constexpr auto oracle = &test::oracle_##name;                                             \
        check(KernelTag<&Kernels::name>{}, *kernels_, rng_);                                                       \
    }
#include "simd/kernel_list.inc"
#undef EDGEMBED_KERNEL

// ---- Properties beyond the oracles.

class KernelProperties : public KernelsVsOracle {};

// A row's product must not depend on where it sits in a batch: with identical rows in A and in B, every
// output of f32_gemm_nt has the same bits, whichever tile shape (rows x columns) computed it.
TEST_P(KernelProperties, GemmNtOutputsDoNotDependOnTheirTile) {
    for (size_t k : {1, 17, 384}) {
        const std::vector<float> row_a = random_vector(rng_, k, 1.0f), row_b = random_vector(rng_, k, 1.0f);
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

// The same for f32_gemm_packed: identical rows in A and in W give the same bits whichever tile and panel
// column computed them.
TEST_P(KernelProperties, GemmPackedOutputsDoNotDependOnTheirTile) {
    const size_t width = kernels_->f32_packed_panel_width();
    for (size_t k : {1, 17, 384}) {
        const std::vector<float> row_a = random_vector(rng_, k, 1.0f), row_w = random_vector(rng_, k, 1.0f);
        for (size_t m : {1, 2, 3, 5, 8, 9, 13, 17})
            for (size_t n : std::vector<size_t>{1, width - 1, width, 2 * width + 3}) {
                if (n == 0) continue;
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

// The kernels that feed int8 activation quantization give the scalar ISA's bits on every ISA and
// architecture (simd/f32_row_kernels.hpp): 16 lanes in a fixed reduction tree, no fused multiply-adds;
// bf16_attention too (its products exact, its softmax the row kernels' arithmetic).
// f32_gemm_packed and f32_gemm_nn too wherever the ISA has FMA (their scalar versions are chains of
// std::fma); SSE2's multiply-adds round twice.
::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i])))
            return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs the scalar ISA's " << b[i];
    return ::testing::AssertionSuccess();
}

TEST_P(KernelProperties, RowKernelsGiveTheScalarIsasBits) {
    const Kernels& ref = reference_kernels();
    for (size_t n : edge_sizes()) {
        const std::vector<float> x = random_vector(rng_, n, 3.0f, 0.5f), gamma = random_vector(rng_, n, 1.0f, 1.0f),
                                 beta = random_vector(rng_, n, 0.5f);
        std::vector<float> y(n), want(n);
        kernels_->f32_softmax(x.data(), nullptr, 0.3f, y.data(), n);
        ref.f32_softmax(x.data(), nullptr, 0.3f, want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_softmax n " << n;
        kernels_->f32_layernorm(x.data(), gamma.data(), beta.data(), 1e-12f, y.data(), n);
        ref.f32_layernorm(x.data(), gamma.data(), beta.data(), 1e-12f, want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_layernorm n " << n;
        const std::vector<float> wide = random_vector(rng_, n, 4.0f);
        kernels_->f32_gelu(wide.data(), y.data(), n);
        ref.f32_gelu(wide.data(), want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_gelu n " << n;
        kernels_->f32_silu(wide.data(), y.data(), n);
        ref.f32_silu(wide.data(), want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_silu n " << n;
        kernels_->f32_gelu_tanh(wide.data(), y.data(), n);
        ref.f32_gelu_tanh(wide.data(), want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_gelu_tanh n " << n;
        kernels_->f32_rmsnorm(x.data(), gamma.data(), 1e-6f, y.data(), n);
        ref.f32_rmsnorm(x.data(), gamma.data(), 1e-6f, want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "f32_rmsnorm n " << n;
        ASSERT_TRUE(same_bits({kernels_->f32_sum_squares(x.data(), n)}, {ref.f32_sum_squares(x.data(), n)})) << "n " << n;
        std::copy(x.begin(), x.end(), y.begin());
        std::copy(x.begin(), x.end(), want.begin());
        kernels_->f32_rope(y.data(), gamma.data(), beta.data(), n / 2);
        ref.f32_rope(want.data(), gamma.data(), beta.data(), n / 2);
        ASSERT_TRUE(same_bits(y, want)) << "f32_rope half " << n / 2;
        std::vector<int32_t> acc(n), sums(n);
        std::uniform_int_distribution<int32_t> ints(-100000, 100000);
        for (size_t i = 0; i < n; ++i) acc[i] = ints(rng_), sums[i] = ints(rng_) / 100;
        kernels_->s32_dequantize(acc.data(), 7, sums.data(), 0.013f, gamma.data(), beta.data(), x.data(), y.data(), n);
        ref.s32_dequantize(acc.data(), 7, sums.data(), 0.013f, gamma.data(), beta.data(), x.data(), want.data(), n);
        ASSERT_TRUE(same_bits(y, want)) << "s32_dequantize n " << n;
    }
    for (size_t d : {8, 64})
        for (size_t keys : {1, 33, 129, 300})
            for (size_t heads : {1, 2}) {
                const size_t before = keys, after = heads == 2 ? 0 : keys;  // all keys, or causal
                const std::vector<float> q = random_vector(rng_, keys * heads * d, 1.0f), kv = random_vector(rng_, keys * 2 * d, 1.0f);
                std::vector<float> out(keys * heads * d), want(keys * heads * d);
                kernels_->bf16_attention(q.data(), heads * d, kv.data(), kv.data() + d, 2 * d, nullptr, 0.2f, 0, keys, keys, before,
                                         after, d, heads, out.data(), heads * d);
                ref.bf16_attention(q.data(), heads * d, kv.data(), kv.data() + d, 2 * d, nullptr, 0.2f, 0, keys, keys, before, after,
                                   d, heads, want.data(), heads * d);
                ASSERT_TRUE(same_bits(out, want)) << "bf16_attention d " << d << " keys " << keys << " heads " << heads;
            }
    if (GetParam().isa == Isa::sse2) return;
    for (size_t k : {1, 17, 384}) {
        const size_t m = 5, n = 29, width = kernels_->f32_packed_panel_width(), ref_width = ref.f32_packed_panel_width();
        const std::vector<float> a = random_vector(rng_, m * k, 1.0f), w = random_vector(rng_, n * k, 1.0f),
                                 bias = random_vector(rng_, n, 1.0f);
        std::vector<float> packed((n + width - 1) / width * width * k), ref_packed((n + ref_width - 1) / ref_width * ref_width * k);
        kernels_->f32_pack_panels(w.data(), n, k, packed.data());
        ref.f32_pack_panels(w.data(), n, k, ref_packed.data());
        std::vector<float> c(m * n), want(m * n);
        kernels_->f32_gemm_packed(a.data(), k, packed.data(), bias.data(), 0, c.data(), n, m, n, k);
        ref.f32_gemm_packed(a.data(), k, ref_packed.data(), bias.data(), 0, want.data(), n, m, n, k);
        ASSERT_TRUE(same_bits(c, want)) << "f32_gemm_packed k " << k;
        const std::vector<float> b = random_vector(rng_, k * n, 1.0f);
        kernels_->f32_gemm_nn(a.data(), k, b.data(), n, 1.0f, 0, c.data(), n, m, n, k);
        ref.f32_gemm_nn(a.data(), k, b.data(), n, 1.0f, 0, want.data(), n, m, n, k);
        ASSERT_TRUE(same_bits(c, want)) << "f32_gemm_nn k " << k;
    }
}

const Table kTables[] = {{"reference", Isa::scalar, true}, {"scalar", Isa::scalar, false},
                         {"sse2", Isa::sse2, false},       {"avx2", Isa::avx2, false},
                         {"avx512bw", Isa::avx512bw, false}, {"neon64", Isa::neon64, false}};
std::string table_name(const ::testing::TestParamInfo<Table>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllTables, KernelsVsOracle, ::testing::ValuesIn(kTables), table_name);
INSTANTIATE_TEST_SUITE_P(AllTables, KernelProperties, ::testing::ValuesIn(kTables), table_name);

}  // namespace
}  // namespace edgembed::simd
