#include "quant/f32_gemm.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "simd/isa.h"
#include "simd/kernels.h"

#if defined(EDGEMBED_WITH_ONEDNN)
#include <oneapi/dnnl/dnnl.h>
#endif

namespace edgembed::quant {

namespace {

// The simd kernel f32_gemm_nt over blocks of the weight's rows (output columns): each block is read
// from memory once and reused from cache by every row of A (in row blocks that stay in L2). Blocks are
// shared among OpenMP's threads.
constexpr size_t kColumnBlock = 48;
constexpr size_t kRowBlock = 64;

void f32_linear_column_blocks(const float* a, size_t lda, const float* w, const float* bias, float* c, size_t ldc,
                              size_t m, size_t n, size_t k, bool accumulate) {
    const simd::Kernels& kernels = simd::kernels();
    const long blocks = static_cast<long>((n + kColumnBlock - 1) / kColumnBlock);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static)
#endif
    for (long block = 0; block < blocks; ++block) {
        const size_t j = static_cast<size_t>(block) * kColumnBlock;
        const size_t cols = std::min(kColumnBlock, n - j);
        for (size_t i = 0; i < m; i += kRowBlock)
            kernels.f32_gemm_nt(a + i * lda, lda, w + j * k, k, 1.0f, accumulate ? 1 : 0, c + i * ldc + j, ldc,
                                std::min(kRowBlock, m - i), cols, k);
        if (bias)
            for (size_t i = 0; i < m; ++i) kernels.f32_add(c + i * ldc + j, bias + j, c + i * ldc + j, cols);
    }
}

}  // namespace

void apply_isa_cap_to_backends() {
#if defined(EDGEMBED_WITH_ONEDNN)
    static std::once_flag once;
    std::call_once(once, [] {
        if (!simd::isa_capped()) return;
        switch (simd::active_isa()) {
            case simd::Isa::avx512bw: dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx512_core); break;
            case simd::Isa::avx2: dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2); break;
            default: dnnl_set_max_cpu_isa(dnnl_cpu_isa_sse41); break;  // oneDNN's lowest
        }
    });
#endif
}

#if defined(EDGEMBED_WITH_ONEDNN)

const char* f32_gemm_backend() noexcept { return "onednn"; }

// Up to this many rows the column blocks beat oneDNN's sgemm, which repacks the whole weight on every
// call (edgembed bench, f32, batch 1, 1 and 2 threads: 8..64 tokens 1.2-1.7x faster); from 128 rows
// sgemm is faster (5-15 %).
constexpr size_t kSmallRows = 64;

void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
    dnnl_sgemm('N', b_transposed ? 'T' : 'N', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
               static_cast<dnnl_dim_t>(k), alpha, a, static_cast<dnnl_dim_t>(lda), b,
               static_cast<dnnl_dim_t>(ldb), 0.0f, c, static_cast<dnnl_dim_t>(ldc));
}

void f32_linear(const float* a, size_t lda, const float* w, const float* bias, float* c, size_t ldc,
                size_t m, size_t n, size_t k, bool accumulate) {
    if (m <= kSmallRows) return f32_linear_column_blocks(a, lda, w, bias, c, ldc, m, n, k, accumulate);
    // Seed C with the bias (and keep the residual when accumulating), then let sgemm add A W^T.
    if (bias != nullptr || !accumulate) {
        for (size_t i = 0; i < m; ++i) {
            float* row = c + i * ldc;
            if (!accumulate) {
                if (bias) std::memcpy(row, bias, n * sizeof(float));
                else std::memset(row, 0, n * sizeof(float));
            } else {
                for (size_t j = 0; j < n; ++j) row[j] += bias[j];
            }
        }
    }
    dnnl_sgemm('N', 'T', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n), static_cast<dnnl_dim_t>(k), 1.0f,
               a, static_cast<dnnl_dim_t>(lda), w, static_cast<dnnl_dim_t>(k), 1.0f, c,
               static_cast<dnnl_dim_t>(ldc));
}

#else

const char* f32_gemm_backend() noexcept { return "simd"; }

// Without oneDNN: the simd kernels f32_gemm_nt / f32_gemm_nn (register-tiled, written once with xsimd
// and dispatched per ISA), on the weights as they are stored.
void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
    const simd::Kernels& kernels = simd::kernels();
    (b_transposed ? kernels.f32_gemm_nt : kernels.f32_gemm_nn)(a, lda, b, ldb, alpha, 0, c, ldc, m, n, k);
}

void f32_linear(const float* a, size_t lda, const float* w, const float* bias, float* c, size_t ldc,
                size_t m, size_t n, size_t k, bool accumulate) {
    f32_linear_column_blocks(a, lda, w, bias, c, ldc, m, n, k, accumulate);
}

#endif

}  // namespace edgembed::quant
