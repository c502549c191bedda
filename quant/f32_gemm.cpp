#include "quant/f32_gemm.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "simd/isa.h"
#include "simd/kernels.h"

#if defined(EDGEMBED_WITH_ONEDNN)
#include <oneapi/dnnl/dnnl.h>
#endif
#if defined(_OPENMP)
#include <omp.h>  // oneDNN's own threads (its OpenMP runtime)
#endif

namespace edgembed::quant {

namespace {

// Below this many multiply-adds a linear layer runs on one thread: waking the others costs more.
constexpr size_t kParallelMacs = size_t(1) << 18;
// Above it the panels are cut into up to this many runs per thread, which the threads take as they
// finish: on a shared machine one core can run slower than the others for a while, and an even static
// split would wait for it.
constexpr size_t kPartsPerThread = 4;
// Rows of A per pass over a thread's panels: they stay in L2 while the panels stream past.
constexpr size_t kRowBlock = 64;

}  // namespace

PackedF32Weights::PackedF32Weights(size_t n, size_t k, WeightArena& arena)
    : kernels_(simd::kernels()), n_(n), k_(k), width_(kernels_.f32_packed_panel_width()) {
    const size_t panels = (n + width_ - 1) / width_;
    packed_ = static_cast<float*>(arena.allocate(panels * width_ * k * sizeof(float)));
}

PackedF32Weights::PackedF32Weights(const float* w, size_t n, size_t k, WeightArena& arena)
    : PackedF32Weights(n, k, arena) {
    kernels_.f32_pack_panels(w, n, k, packed_);
}

PackedF32Weights::PackedF32Weights(const uint16_t* w, size_t n, size_t k, WeightArena& arena)
    : PackedF32Weights(n, k, arena) {
    // A panel's rows at a time, widened into a buffer that stays in cache.
    std::vector<float> rows(width_ * k);
    for (size_t first = 0; first < n; first += width_) {
        const size_t cols = std::min(width_, n - first);
        kernels_.f16_to_f32(w + first * k, rows.data(), cols * k);
        kernels_.f32_pack_panels(rows.data(), cols, k, packed_ + first * k);
    }
}

void PackedF32Weights::linear(const float* a, size_t lda, const float* bias, float* c, size_t ldc, size_t m,
                              bool accumulate, bool gelu, size_t threads) const {
    const size_t panels = (n_ + width_ - 1) / width_;
    size_t parts = 1;
    if (m * n_ * k_ >= kParallelMacs) {
        threads = std::min(threads, panels);
        parts = std::min(panels, threads * kPartsPerThread);
    } else {
        threads = 1;
    }
    parallel_for(threads, parts, 1, [&](size_t first_part, size_t end_part, size_t) {
        for (size_t part = first_part; part < end_part; ++part) {
            const size_t first = panels * part / parts * width_;
            const size_t cols = std::min(n_, panels * (part + 1) / parts * width_) - first;
            for (size_t i = 0; i < m; i += kRowBlock) {
                const size_t rows = std::min(kRowBlock, m - i);
                float* out = c + i * ldc + first;
                kernels_.f32_gemm_packed(a + i * lda, lda, packed_ + first * k_, bias ? bias + first : nullptr,
                                         accumulate ? 1 : 0, out, ldc, rows, cols, k_);
                if (gelu)
                    for (size_t r = 0; r < rows; ++r) kernels_.f32_gelu(out + r * ldc, out + r * ldc, cols);
            }
        }
    });
}

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

// oneDNN's sgemm: 3.5x the simd f32_gemm_nt on attention's scores at 128-512 tokens (bench_attention,
// scores_f32), on par for the context product. It threads through OpenMP, so it is held to the calling
// thread (a pool task): its OpenMP thread count is set to 1 around the call, then restored.
void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
#if defined(_OPENMP)
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    dnnl_sgemm('N', b_transposed ? 'T' : 'N', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
               static_cast<dnnl_dim_t>(k), alpha, a, static_cast<dnnl_dim_t>(lda), b,
               static_cast<dnnl_dim_t>(ldb), 0.0f, c, static_cast<dnnl_dim_t>(ldc));
#if defined(_OPENMP)
    omp_set_num_threads(saved);
#endif
}

#else

const char* f32_gemm_backend() noexcept { return "simd"; }

// Without oneDNN: the simd kernels f32_gemm_nt / f32_gemm_nn (register-tiled, written once with xsimd
// and dispatched per ISA).
void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k) {
    const simd::Kernels& kernels = simd::kernels();
    (b_transposed ? kernels.f32_gemm_nt : kernels.f32_gemm_nn)(a, lda, b, ldb, alpha, 0, c, ldc, m, n, k);
}

#endif

}  // namespace edgembed::quant
