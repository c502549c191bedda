#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "quant/int8_gemm_kernels.h"

namespace {

// The layout as int8_gemm_kernels.h states it, one byte at a time.
std::vector<int8_t> reference_pack(const std::vector<int8_t>& w, size_t n, size_t k, size_t nr, size_t kw,
                                   size_t kpad) {
    const size_t blocks = (n + nr - 1) / nr;
    std::vector<int8_t> out(blocks * nr * kpad);
    for (size_t b = 0; b < blocks; ++b)
        for (size_t q = 0; q < kpad; q += kw)
            for (size_t r = 0; r < nr; ++r)
                for (size_t i = 0; i < kw; ++i) {
                    const size_t j = b * nr + r, p = q + i;
                    out[b * nr * kpad + q * nr + r * kw + i] = j < n && p < k ? w[j * k + p] : 0;
                }
    return out;
}

// Every kw the kernels use (2, 4, 16) and others, n and k around the block and step sizes, with and
// without extra k padding; the output buffer's guard bytes past the packed size stay untouched.
TEST(Int8WeightPack, MatchesTheStatedLayoutOverEdgeSizes) {
    constexpr int8_t kGuard = 0x5a;
    for (size_t kw : {1, 2, 3, 4, 16})
        for (size_t nr : {1, 4, 16, 48})
            for (size_t n : {1, 3, 4, 15, 16, 17, 47, 48, 49, 97})
                for (size_t k : {1, 2, 3, 4, 5, 15, 16, 17, 33}) {
                    for (size_t extra : {0, 1}) {
                        const size_t kpad = ((k + kw - 1) / kw + extra) * kw;
                        std::vector<int8_t> w(n * k);
                        for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(i * 37 + 11);
                        const std::vector<int8_t> expected = reference_pack(w, n, k, nr, kw, kpad);
                        std::vector<int8_t> got(expected.size() + 64, kGuard);
                        edgembed::quant::pack_interleaved(w.data(), n, k, nr, kw, kpad, got.data());
                        const std::vector<int8_t> packed(got.begin(), got.begin() + expected.size());
                        ASSERT_EQ(packed, expected)
                            << "kw=" << kw << " nr=" << nr << " n=" << n << " k=" << k << " kpad=" << kpad;
                        for (size_t i = expected.size(); i < got.size(); ++i)
                            ASSERT_EQ(got[i], kGuard) << "wrote past the end";
                    }
                }
}

}  // namespace
