// f32 matrix products for the encoder. Row-major throughout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "quant/weight_arena.h"
#include "simd/kernels.h"

namespace edgembed::quant {

// A linear layer's f32 weight W[n, k] (the Hugging Face [out, in] layout), packed once into the panels of
// the simd kernel f32_gemm_packed for the ISA active when it was packed (that ISA's kernels run it). The
// packed copy lives in `arena`, which must outlive this.
class PackedF32Weights {
public:
    // Throws Error(out_of_memory) when the packed copy cannot be allocated.
    PackedF32Weights(const float* w, size_t n, size_t k, WeightArena& arena);
    // The same from IEEE half weights, widened exactly (the f16 model file).
    PackedF32Weights(const uint16_t* w, size_t n, size_t k, WeightArena& arena);
    // C[m, n] = (accumulate ? C : 0) + A[m, k] W^T + bias (bias may be null), then GELU when `gelu`.
    // Up to `threads` threads of the pool (base/thread_pool.h) share the weight's panels; lda/ldc are row
    // strides.
    void linear(const float* a, size_t lda, const float* bias, float* c, size_t ldc, size_t m, bool accumulate,
                bool gelu, size_t threads) const;

private:
    PackedF32Weights(size_t n, size_t k, WeightArena& arena);  // allocates
    const simd::Kernels& kernels_;
    size_t n_, k_, width_;
    float* packed_;
};

// C[m, n] = alpha * A[m, k] * op(B) where op(B) = B^T for B[n, k] when b_transposed, else B[k, n], on the
// calling thread only (attention's products, run inside the pool's tasks).
void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k);

// Passes an ISA cap (EDGEMBED_FORCE_ISA / simd::set_isa_cap) on to oneDNN, once, before its first
// primitive; later caps cannot reach it. Called when a model is loaded.
void apply_isa_cap_to_backends();

// The name of f32_gemm's back end (attention's products): "onednn", or "simd" (f32_gemm_nt / f32_gemm_nn).
const char* f32_gemm_backend() noexcept;

}  // namespace edgembed::quant
