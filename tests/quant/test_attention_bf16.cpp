// bf16 attention products (quant/attention_bf16.h) on every ISA path of the host (AVX512-BF16 where the
// CPU has it, the emulation on f32_gemm_packed under each ISA cap) against a scalar reference: the same
// inputs rounded to bf16, products summed exactly in double. Sizes 1..33, multiples of 16 +/- 1 and the
// model's lengths; head dimensions 2..96; strided inputs and outputs (nothing written outside the
// results); NaN in. And every path gives the same bits, the tiled attention's (bf16_tiled_attention) too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/attention_bf16.h"
#include "simd/isa.h"
#include "simd/kernels.h"
#include "tests/simd/tolerances.h"

namespace edgembed::quant {
namespace {

double bf16(float f) {  // round to nearest even, as the kernels do
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    float r;
    std::memcpy(&r, &u, sizeof r);
    return r;
}

// Runs fn under every ISA cap this host allows (bf16_attention_hardware() follows the cap), then puts the
// best one back.
template <class Fn>
void for_each_isa(Fn fn) {
    using simd::Isa;
    Isa best = Isa::scalar;
    for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64}) {
        if (!simd::isa_available(isa)) continue;
        simd::set_isa_cap(isa);
        SCOPED_TRACE(std::string("ISA ") + simd::isa_name(isa) + (bf16_attention_hardware() ? " (AVX512-BF16)" : ""));
        fn(isa);
        best = isa;
    }
    simd::set_isa_cap(best);
}

std::vector<size_t> lengths() {
    std::vector<size_t> out;
    for (size_t n = 1; n <= 33; ++n) out.push_back(n);
    for (size_t n : {47, 48, 49, 63, 64, 65, 127, 128, 129, 384, 512}) out.push_back(n);
    return out;
}

constexpr float kGuard = 12345.0f;

class Bf16Attention : public ::testing::Test {
protected:
    // Lengths past 129 only on the best ISA: the others run the same tiles, slower.
    void scores_match(simd::Isa isa);
    void context_matches(simd::Isa isa);
    static bool long_lengths(simd::Isa isa) {
        return isa == simd::Isa::avx512bw || isa == simd::Isa::neon64 || !simd::isa_available(simd::Isa::avx512bw);
    }
    std::mt19937 rng{11};
    std::vector<float> random(size_t n, float scale) {
        std::normal_distribution<float> normal(0.0f, scale);
        std::vector<float> v(n);
        for (float& x : v) x = normal(rng);
        return v;
    }
};

TEST_F(Bf16Attention, ScoresMatchTheReference) {
    for_each_isa([&](simd::Isa isa) { scores_match(isa); });
}

void Bf16Attention::scores_match(simd::Isa isa) {
    for (size_t d : {2, 16, 30, 32, 64, 96}) {
        for (size_t length : lengths()) {
            if ((d == 96 || !long_lengths(isa)) && length > 129) continue;  // keeps the test fast; the tiles are the same
            const size_t ld = d + 3, ld_s = length + 5;  // strided, as heads sit in a row of hidden_size
            const std::vector<float> q = random(length * ld, 2.0f), k = random(length * ld, 2.0f);
            std::vector<float> s(length * ld_s, kGuard);
            std::vector<uint8_t> scratch(bf16_attention_scratch_bytes(length, d));
            bf16_attention_scores(q.data(), k.data(), ld, length, d, s.data(), ld_s, scratch.data());
            for (size_t i = 0; i < length; ++i)
                for (size_t j = 0; j < ld_s; ++j) {
                    const float got = s[i * ld_s + j];
                    if (j >= length) {
                        ASSERT_EQ(got, kGuard) << "wrote outside the results at " << i << "," << j;
                        continue;
                    }
                    double sum = 0, sum_abs = 0;
                    for (size_t c = 0; c < d; ++c) {
                        const double p = bf16(q[i * ld + c]) * bf16(k[j * ld + c]);
                        sum += p;
                        sum_abs += std::fabs(p);
                    }
                    ASSERT_NEAR(got, sum, test::bf16_dot_tolerance(sum_abs, d))
                        << "d " << d << " length " << length << " at " << i << "," << j;
                }
        }
    }
}

TEST_F(Bf16Attention, ContextMatchesTheReference) {
    for_each_isa([&](simd::Isa isa) { context_matches(isa); });
}

void Bf16Attention::context_matches(simd::Isa isa) {
    for (size_t d : {2, 16, 30, 32, 64, 96}) {
        for (size_t length : lengths()) {
            if ((d == 96 || !long_lengths(isa)) && length > 129) continue;
            const size_t ld_p = length + 2, ld_v = d + 5, ld_out = d + 7;
            std::vector<float> p = random(length * ld_p, 1.0f);
            for (float& x : p) x = std::fabs(x) / static_cast<float>(length);  // softmax-like rows
            const std::vector<float> v = random(length * ld_v, 2.0f);
            std::vector<float> out(length * ld_out, kGuard);
            std::vector<uint8_t> scratch(bf16_attention_scratch_bytes(length, d));
            bf16_attention_context(p.data(), ld_p, v.data(), ld_v, length, d, out.data(), ld_out, scratch.data());
            for (size_t i = 0; i < length; ++i)
                for (size_t c = 0; c < ld_out; ++c) {
                    const float got = out[i * ld_out + c];
                    if (c >= d) {
                        ASSERT_EQ(got, kGuard) << "wrote outside the results at " << i << "," << c;
                        continue;
                    }
                    double sum = 0, sum_abs = 0;
                    for (size_t j = 0; j < length; ++j) {
                        const double prod = bf16(p[i * ld_p + j]) * bf16(v[j * ld_v + c]);
                        sum += prod;
                        sum_abs += std::fabs(prod);
                    }
                    ASSERT_NEAR(got, sum, test::bf16_dot_tolerance(sum_abs, length))
                        << "d " << d << " length " << length << " at " << i << "," << c;
                }
        }
    }
}

TEST_F(Bf16Attention, NanInputGivesNanScores) {
    const size_t length = 20, d = 32;
    std::vector<float> q = random(length * d, 1.0f), k = random(length * d, 1.0f), s(length * length);
    q[3 * d + 5] = std::nanf("");
    std::vector<uint8_t> scratch(bf16_attention_scratch_bytes(length, d));
    bf16_attention_scores(q.data(), k.data(), d, length, d, s.data(), length, scratch.data());
    for (size_t j = 0; j < length; ++j) EXPECT_TRUE(std::isnan(s[3 * length + j])) << j;
    EXPECT_FALSE(std::isnan(s[2 * length]));
}

// The same bits on every path: what makes int8 vectors equal across ISAs and architectures.
TEST_F(Bf16Attention, EveryIsaGivesTheSameBits) {
    for (size_t d : {2, 30, 32, 64}) {
        for (size_t length : {1, 2, 7, 16, 17, 33, 128, 129}) {
            const size_t ld = d + 3;
            const std::vector<float> q = random(length * ld, 2.0f), k = random(length * ld, 2.0f);
            std::vector<float> p = random(length * length, 1.0f);
            for (float& x : p) x = std::fabs(x) / static_cast<float>(length);
            std::vector<float> first_s, first_o;
            for_each_isa([&](simd::Isa) {
                std::vector<float> s(length * length), o(length * d);
                std::vector<uint8_t> scratch(bf16_attention_scratch_bytes(length, d));
                bf16_attention_scores(q.data(), k.data(), ld, length, d, s.data(), length, scratch.data());
                bf16_attention_context(p.data(), length, k.data(), ld, length, d, o.data(), d, scratch.data());
                if (first_s.empty()) {
                    first_s = s;
                    first_o = o;
                    return;
                }
                ASSERT_EQ(0, std::memcmp(s.data(), first_s.data(), s.size() * sizeof(float))) << "scores, d " << d << " length " << length;
                ASSERT_EQ(0, std::memcmp(o.data(), first_o.data(), o.size() * sizeof(float))) << "context, d " << d << " length " << length;
            });
        }
    }
}

// The tiled attention (bf16_tiled_attention: vdpbf16ps where the CPU has AVX512-BF16, else the simd kernel
// bf16_attention, whose values tests/simd/test_f32_kernels.cpp holds to its double-precision definition) gives
// the scalar ISA's bits under every ISA cap: head sizes 2..256 and an odd one, 1..70 query rows from the
// text's start or middle, keys around the 128-key tiles, all keys, windows, causal, a relative bias, groups
// of 1, 2 and 4 query heads, in place over the queries too.
TEST_F(Bf16Attention, TiledAttentionGivesTheSameBitsOnEveryPath) {
    const simd::Kernels& scalar = simd::reference_kernels();
    size_t variant = 0;
    for (size_t d : {2, 5, 8, 64, 128, 256})
        for (size_t keys : {1, 2, 33, 127, 128, 129, 257, 300}) {
            for (size_t repeat = 0; repeat < 2; ++repeat, ++variant) {
                const size_t row_counts[] = {1, 31, 32, 33, 70}, group_sizes[] = {1, 2, 4};
                const size_t m = std::min(row_counts[variant % 5], keys), heads = group_sizes[variant % 3];
                const size_t first = variant / 2 % 2 == 1 ? (keys - m) / 2 : 0;
                const size_t windows[][2] = {{keys, keys}, {64, 64}, {keys, 0}, {3, 3}};
                const size_t before = windows[variant % 4][0], after = windows[variant % 4][1];
                const size_t ldq = heads * d + 1, ldkv = 2 * d + 3;
                const std::vector<float> q = random(keys * ldq, 1.0f), kv = random(keys * ldkv, 1.0f);
                const std::vector<float> bias_table = random(2 * keys - 1, 2.0f);
                const float* bias = variant % 7 >= 4 ? bias_table.data() + keys - 1 : nullptr;
                const float* rows = q.data() + first * ldq;
                const float scale = 1.0f / std::sqrt(static_cast<float>(d));
                std::vector<float> want(m * ldq, kGuard);
                scalar.bf16_attention(rows, ldq, kv.data(), kv.data() + d, ldkv, bias, scale, first, m, keys, before, after, d,
                                      heads, want.data(), ldq);
                for_each_isa([&](simd::Isa) {
                    std::vector<float> got(m * ldq, kGuard);
                    bf16_tiled_attention(rows, ldq, kv.data(), kv.data() + d, ldkv, bias, scale, first, m, keys, before, after, d,
                                         heads, got.data(), ldq);
                    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
                        << "d " << d << " keys " << keys << " rows " << m << " from " << first << " before " << before
                        << " after " << after << " heads " << heads << (bias ? " bias" : "");
                    if (variant % 3 != 1) return;
                    std::vector<float> in_place = q;  // the output over the query rows: the same values
                    float* io = in_place.data() + first * ldq;
                    bf16_tiled_attention(io, ldq, kv.data(), kv.data() + d, ldkv, bias, scale, first, m, keys, before, after, d,
                                         heads, io, ldq);
                    for (size_t r = 0; r < m; ++r)
                        ASSERT_EQ(0, std::memcmp(io + r * ldq, want.data() + r * ldq, heads * d * sizeof(float)))
                            << "in place: d " << d << " keys " << keys << " row " << r;
                });
            }
        }
}

}  // namespace
}  // namespace edgembed::quant
