#include "quant/f32_gemm.h"

#include <cstring>
#include <mutex>

#include "simd/isa.h"
#include "simd/kernels.h"

#if defined(EDGEMBED_WITH_ONEDNN)
#include <oneapi/dnnl/dnnl.h>
#endif

namespace edgembed::quant {

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

void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
    dnnl_sgemm('N', b_transposed ? 'T' : 'N', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
               static_cast<dnnl_dim_t>(k), alpha, a, static_cast<dnnl_dim_t>(lda), b,
               static_cast<dnnl_dim_t>(ldb), 0.0f, c, static_cast<dnnl_dim_t>(ldc));
}

void f32_linear(const float* a, size_t lda, const float* w, const float* bias, float* c, size_t ldc,
                size_t m, size_t n, size_t k, bool accumulate) {
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
    const simd::Kernels& kernels = simd::kernels();
    kernels.f32_gemm_nt(a, lda, w, k, 1.0f, accumulate ? 1 : 0, c, ldc, m, n, k);
    if (bias)
        for (size_t i = 0; i < m; ++i) kernels.f32_add(c + i * ldc, bias, c + i * ldc, n);
}

#endif

}  // namespace edgembed::quant
