// Every int8 GEMM back end against a scalar int32 reference, with EXACT equality: edge shapes around the
// kernels' tiles (rows 4 / 8, output channels 4 / 16 / 32, k steps 2 / 4 / 16, L2 chunks), the MiniLM and
// BERT-base layer shapes, and extreme values that would saturate any int16 shortcut. A back end the host
// lacks is skipped, except where the build or the CI says it must be there.
// Reproduce a failure with EDGEMBED_TEST_SEED=<seed printed by the test>.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "quant/int8_gemm.h"
#include "simd/isa.h"

namespace edgembed::quant {
namespace {

// The kernels' largest tile (int8_gemm_kernels.h): 8 rows (avx512vnni), 32 channels (avx512vnni), 16 k (NEON).
constexpr size_t kMaxChannels = 32, kMaxKStep = 16;
constexpr int32_t kSentinel = 0x5a5a5a5a;
constexpr size_t kGuard = 64;  // int32 after C that must stay untouched

unsigned seed() {
    const char* env = std::getenv("EDGEMBED_TEST_SEED");
    return env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : 20261127u;
}

// 1..2W+1 and multiples of W +- 1 for a tile width W.
std::vector<size_t> edge_sizes(size_t w, std::vector<size_t> multiples) {
    std::vector<size_t> sizes;
    for (size_t s = 1; s <= 2 * w + 1; ++s) sizes.push_back(s);
    for (size_t m : multiples)
        for (size_t s : {m * w - 1, m * w, m * w + 1}) sizes.push_back(s);
    return sizes;
}

std::vector<uint8_t> random_activations(std::mt19937& rng, size_t count) {
    std::uniform_int_distribution<int> dist(0, 255);
    std::vector<uint8_t> v(count);
    for (uint8_t& x : v) x = static_cast<uint8_t>(dist(rng));
    return v;
}

std::vector<int8_t> random_weights(std::mt19937& rng, size_t count) {
    std::uniform_int_distribution<int> dist(-128, 127);
    std::vector<int8_t> v(count);
    for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
    return v;
}

// C[m, n] = sum_k (A[m, k] - offset) * W[n, k], one int32 product at a time.
std::vector<int32_t> reference(const uint8_t* a, const int8_t* w, size_t m, size_t n, size_t k, int32_t offset) {
    std::vector<int32_t> c(m * n);
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            int32_t sum = 0;
            for (size_t p = 0; p < k; ++p) sum += (static_cast<int32_t>(a[i * k + p]) - offset) * w[j * k + p];
            c[i * n + j] = sum;
        }
    return c;
}

// Back ends that must not be skipped: generic always, the Armv8.0 NEON kernel on every aarch64 build, the
// dot-product one where scripts/ci_aarch64.sh says the emulated CPU has it.
bool required(const std::string& name) {
    if (name == "generic") return true;
#if defined(__aarch64__)
    if (name == "neon") return true;
#endif
    const char* dotprod = std::getenv("EDGEMBED_EXPECT_ARM_DOTPROD");
    return name == "neon-dotprod" && dotprod != nullptr && std::string(dotprod) == "1";
}

class Int8GemmBackend : public ::testing::TestWithParam<const char*> {
protected:
    WeightArena arena_{0};  // the packed weights of every GEMM make() builds in a test

    void SetUp() override {
        const int8_t one = 1;
        WeightArena probe(0);
        if (make_int8_gemm_backend(GetParam(), &one, 1, 1, probe) == nullptr) {
            if (required(GetParam())) FAIL() << GetParam() << " must be available on this host";
            GTEST_SKIP() << GetParam() << " is not available in this build or on this CPU";
        }
        std::printf("back end %s, EDGEMBED_TEST_SEED=%u\n", GetParam(), seed());
    }

    std::unique_ptr<Int8Gemm> make(const std::vector<int8_t>& w, size_t n, size_t k) {
        std::unique_ptr<Int8Gemm> gemm = make_int8_gemm_backend(GetParam(), w.data(), n, k, arena_);
        EXPECT_NE(gemm, nullptr);
        if (gemm != nullptr) {
            EXPECT_STREQ(gemm->name(), GetParam());
            for (size_t j = 0; j < n; ++j) {
                int32_t sum = 0;
                for (size_t p = 0; p < k; ++p) sum += w[j * k + p];
                EXPECT_EQ(gemm->col_sums()[j], sum) << "col_sums, j=" << j;
            }
        }
        return gemm;
    }

    // Runs `gemm` on a copy of `a` (a back end may rewrite it) and compares every entry with the reference.
    // Returns false on the first mismatching case, so a broken kernel reports one case, not thousands.
    static bool check(const Int8Gemm& gemm, const std::vector<uint8_t>& a, const std::vector<int8_t>& w, size_t m,
                      size_t n, size_t k, bool random = true) {
        std::vector<uint8_t> scratch(a.begin(), a.begin() + m * k);
        std::vector<int32_t> c(m * n + kGuard, kSentinel);
        gemm.run(scratch.data(), m, c.data(), 3);  // 3 threads of the pool share the larger products
        const std::vector<int32_t> expected = reference(a.data(), w.data(), m, n, k, gemm.activation_offset());
        size_t wrong = 0, first = 0, zeros = 0;
        for (size_t i = 0; i < m * n; ++i) {
            if (c[i] != expected[i] && wrong++ == 0) first = i;
            zeros += c[i] == 0;
        }
        EXPECT_EQ(wrong, 0u) << "m=" << m << " n=" << n << " k=" << k << ": " << wrong << " of " << m * n
                             << " wrong, first at row " << first / n << " col " << first % n << ": got " << c[first]
                             << ", expected " << expected[first];
        for (size_t i = m * n; i < c.size(); ++i)
            if (c[i] != kSentinel) {
                ADD_FAILURE() << "m=" << m << " n=" << n << " k=" << k << ": wrote past C[m, n] at +" << i - m * n;
                return false;
            }
        // Random full-range inputs: an exact zero is rare once k is a few dozen (guards an all-zero output).
        if (random && k >= 32) {
            EXPECT_LE(zeros, m * n / 2) << "output is mostly zeros, m=" << m << " n=" << n << " k=" << k;
        }
        return wrong == 0 && !::testing::Test::HasFailure();
    }
};

// n and k over 1..2W+1 and multiples +- 1 of every kernel's tile; m around the row tiles. One packed
// weight matrix serves every m, so a back end's scratch is also reused across sizes.
TEST_P(Int8GemmBackend, EdgeShapes) {
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::mt19937 rng(seed());
    std::vector<size_t> ms = {1, 2, 3, 7, 16, 17};
    // n: 1..33 (2 x 16 + 1) and 32-multiples +- 1; k: 1..33 and 16-multiples +- 1.
    std::vector<size_t> ns = edge_sizes(kMaxChannels / 2, {3, 4, 6}), ks = edge_sizes(kMaxKStep, {3, 4});
    if (std::string(GetParam()) == "onednn") {  // not our tiles, and a primitive per shape costs milliseconds
        ms = {1, 17};
        ns = {1, 4, 15, 16, 17, 33, 64, 65, 97};
        ks = {1, 3, 4, 15, 16, 17, 33, 64, 65};
    }
    for (size_t n : ns)
        for (size_t k : ks) {
            const std::vector<int8_t> w = random_weights(rng, n * k);
            const std::vector<uint8_t> a = random_activations(rng, 17 * k);
            const std::unique_ptr<Int8Gemm> gemm = make(w, n, k);
            ASSERT_NE(gemm, nullptr);
            for (size_t m : ms) ASSERT_TRUE(check(*gemm, a, w, m, n, k));
        }
}

// The linear layers of all-MiniLM-L6-v2 (384, 1536) and BERT-base (768, 3072), plus shapes whose output
// channels end in a partial L2 chunk of every kernel.
TEST_P(Int8GemmBackend, ModelShapes) {
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::mt19937 rng(seed() + 1);
    struct Shape {
        std::vector<size_t> ms;
        size_t k, n;
    };
    const Shape shapes[] = {
        {{1, 17, 128}, 384, 384}, {{1, 17, 128}, 384, 1536}, {{1, 17}, 1536, 384},  {{1, 17}, 768, 768},
        {{3, 17}, 768, 3072},     {{3, 17}, 3072, 768},      {{9}, 3072, 97},       {{5}, 1000, 203},
    };
    for (const Shape& s : shapes) {
        const std::vector<int8_t> w = random_weights(rng, s.n * s.k);
        const std::vector<uint8_t> a = random_activations(rng, 128 * s.k);
        const std::unique_ptr<Int8Gemm> gemm = make(w, s.n, s.k);
        ASSERT_NE(gemm, nullptr);
        for (size_t m : s.ms) ASSERT_TRUE(check(*gemm, a, w, m, s.n, s.k));
    }
}

// The largest products: u8 0 / 255 against -128 / 127 (after a shift to s8 these are -128 / 127 too, so
// (-128)(-128) + (-128)(-128) = 32768 overflows any int16 sum of pairs), uniform and mixed, at the longest
// reduction of the models and one past a multiple of every k step.
TEST_P(Int8GemmBackend, ExtremeValuesDoNotSaturate) {
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::mt19937 rng(seed() + 2);
    const size_t m = 9, n = 37;
    for (size_t k : {3072, 3073}) {
        for (uint8_t av : {uint8_t(255), uint8_t(0)})
            for (int8_t wv : {int8_t(-128), int8_t(127)}) {
                const std::vector<uint8_t> a(m * k, av);
                const std::vector<int8_t> w(n * k, wv);
                const std::unique_ptr<Int8Gemm> gemm = make(w, n, k);
                ASSERT_NE(gemm, nullptr);
                ASSERT_TRUE(check(*gemm, a, w, m, n, k, /*random=*/false));
                // The closed form, so the reference itself is checked too.
                std::vector<uint8_t> copy = a;
                std::vector<int32_t> c(m * n);
                gemm->run(copy.data(), m, c.data(), 1);
                const int64_t expected = (int64_t{av} - gemm->activation_offset()) * wv * static_cast<int64_t>(k);
                EXPECT_EQ(c[0], expected) << "a=" << int(av) << " w=" << int(wv) << " k=" << k;
                EXPECT_EQ(c[m * n - 1], expected) << "a=" << int(av) << " w=" << int(wv) << " k=" << k;
            }
        std::bernoulli_distribution coin(0.5);
        std::vector<uint8_t> a(m * k);
        std::vector<int8_t> w(n * k);
        for (uint8_t& x : a) x = coin(rng) ? 255 : 0;
        for (int8_t& x : w) x = coin(rng) ? 127 : -128;
        const std::unique_ptr<Int8Gemm> gemm = make(w, n, k);
        ASSERT_NE(gemm, nullptr);
        ASSERT_TRUE(check(*gemm, a, w, m, n, k));
    }
}

// A back end that says it does not read its source weights after construction must not: the encoder frees
// the stacked QKV copy it was built from. Scribbling over the source must not change its sums.
TEST_P(Int8GemmBackend, ReadsTheSourceWeightsOnlyWhenItSaysSo) {
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::mt19937 rng(seed() + 4);
    const size_t m = 9, n = 50, k = 37;
    std::vector<int8_t> w = random_weights(rng, n * k);
    const std::vector<int8_t> original = w;
    const std::vector<uint8_t> a = random_activations(rng, m * k);
    const std::unique_ptr<Int8Gemm> gemm = make(w, n, k);
    ASSERT_NE(gemm, nullptr);
    std::fill(w.begin(), w.end(), int8_t(-128));
    if (gemm->reads_source_weights()) {
        EXPECT_STREQ(gemm->name(), "generic");
        return;
    }
    EXPECT_TRUE(check(*gemm, a, original, m, n, k));
}

// run() is const and shared by every context of a model: four threads on one back end at once, each with
// token counts the back end has not seen yet (oneDNN builds a primitive per M while others run; a shared
// scratchpad or per-thread scratch leaking between threads shows up as wrong sums).
TEST_P(Int8GemmBackend, ConcurrentRuns) {
    SCOPED_TRACE("EDGEMBED_TEST_SEED=" + std::to_string(seed()));
    std::mt19937 rng(seed() + 3);
    // oneDNN (x86 only, native speed) gets more threads and shapes: its race needed them to show.
    const bool onednn = std::string(GetParam()) == "onednn";
    const size_t n = onednn ? 384 : 256, k = 384, threads = onednn ? 8 : 4, max_m = onednn ? 64 : 32;
    const std::vector<int8_t> w = random_weights(rng, n * k);
    const std::unique_ptr<Int8Gemm> gemm = make(w, n, k);
    ASSERT_NE(gemm, nullptr);
    std::vector<std::vector<uint8_t>> inputs(max_m + 1);
    std::vector<std::vector<int32_t>> expected(max_m + 1);
    for (size_t m = 1; m <= max_m; ++m) {
        inputs[m] = random_activations(rng, m * k);
        expected[m] = reference(inputs[m].data(), w.data(), m, n, k, gemm->activation_offset());
    }
    std::vector<std::string> wrong(threads);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (size_t m = 1 + t; m <= max_m; ++m) {
                std::vector<uint8_t> a = inputs[m];
                std::vector<int32_t> c(m * n);
                gemm->run(a.data(), m, c.data(), 2);
                if (c != expected[m]) wrong[t] += " m=" + std::to_string(m);
            }
        });
    for (std::thread& t : pool) t.join();
    for (size_t t = 0; t < threads; ++t) EXPECT_EQ(wrong[t], "") << "thread " << t << " got wrong sums";
}

std::string backend_test_name(const ::testing::TestParamInfo<const char*>& info) {
    std::string name = info.param;
    for (char& c : name)
        if (c == '-') c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Int8Gemm, Int8GemmBackend,
                         ::testing::Values("generic", "avx2", "avx512vnni", "neon", "neon-dotprod", "onednn"),
                         backend_test_name);

TEST(Int8GemmSelection, EveryNameIsTested) {
    EXPECT_EQ(int8_gemm_backend_names().size(), 6u);
    const int8_t one = 1;
    WeightArena arena(0);
    EXPECT_EQ(make_int8_gemm_backend("no-such-back-end", &one, 1, 1, arena), nullptr);
}

// make_int8_gemm() builds what int8_gemm_backend() names, and that is the best this host has within the cap.
TEST(Int8GemmSelection, PicksTheBestWithinTheIsaCap) {
    const int8_t w[4] = {1, -2, 3, -4};
    WeightArena arena(0);
    const std::string picked = int8_gemm_backend();
    std::printf("int8 GEMM back end: %s (ISA %s)\n", picked.c_str(), simd::isa_name(simd::active_isa()));
    EXPECT_EQ(make_int8_gemm(w, 2, 2, arena)->name(), picked);
    if (simd::active_isa() == simd::Isa::scalar) {
        EXPECT_EQ(picked, "generic");
        return;
    }
#if defined(__aarch64__)
    EXPECT_EQ(picked, simd::cpu_has_arm_dotprod() ? "neon-dotprod" : "neon");
#elif defined(__x86_64__)
    if (picked != "onednn") {
        const char* best = simd::active_isa() == simd::Isa::avx512bw && make_int8_gemm_backend("avx512vnni", w, 2, 2, arena)
                               ? "avx512vnni"
                           : simd::active_isa() >= simd::Isa::avx2 ? "avx2"
                                                                   : "generic";
        EXPECT_EQ(picked, best);
    }
#endif
}

}  // namespace
}  // namespace edgembed::quant
