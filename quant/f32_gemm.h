// f32 matrix products for the encoder. Row-major throughout.
#pragma once

#include <cstddef>

namespace edgembed::quant {

// C[m, n] = (accumulate ? C : 0) + A[m, k] * W[n, k]^T + bias[n] (bias may be null).
// W is a linear layer's weight in the Hugging Face [out, in] layout. lda/ldc are row strides.
void f32_linear(const float* a, size_t lda, const float* w, const float* bias, float* c, size_t ldc,
                size_t m, size_t n, size_t k, bool accumulate);

// C[m, n] = alpha * A[m, k] * op(B) where op(B) = B^T for B[n, k] when b_transposed, else B[k, n].
void f32_gemm(const float* a, size_t lda, const float* b, size_t ldb, bool b_transposed, float alpha,
              float* c, size_t ldc, size_t m, size_t n, size_t k);

// Passes an ISA cap (EDGEMBED_FORCE_ISA / simd::set_isa_cap) on to oneDNN, once, before its first
// primitive; later caps cannot reach it. Called when a model is loaded.
void apply_isa_cap_to_backends();

// The name of the GEMM back end in use ("onednn", or "simd": the kernels f32_gemm_nt / f32_gemm_nn).
const char* f32_gemm_backend() noexcept;

}  // namespace edgembed::quant
