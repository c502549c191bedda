#include "quant/int8_gemm.h"

namespace edgembed::quant {

// Four output channels at a time so each activation row is read once per four weight rows; the inner
// loop is a plain widening dot product that compilers vectorize (pmaddwd on x86, smlal on ARM).
void s8_gemm_s32_generic(const int8_t* a, const int8_t* w, int32_t* c, size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; ++i) {
        const int8_t* row = a + i * k;
        size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const int8_t *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
            int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (size_t p = 0; p < k; ++p) {
                const int32_t x = row[p];
                s0 += x * w0[p];
                s1 += x * w1[p];
                s2 += x * w2[p];
                s3 += x * w3[p];
            }
            c[i * n + j] = s0;
            c[i * n + j + 1] = s1;
            c[i * n + j + 2] = s2;
            c[i * n + j + 3] = s3;
        }
        for (; j < n; ++j) {
            int32_t s = 0;
            for (size_t p = 0; p < k; ++p) s += static_cast<int32_t>(row[p]) * w[j * k + p];
            c[i * n + j] = s;
        }
    }
}

}  // namespace edgembed::quant
