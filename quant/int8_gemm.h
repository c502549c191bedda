// int8 GEMM back ends for quantized linear layers. Activations arrive as per-token asymmetric u8
// (simd f32_quantize_qu8), weights as int8 [n, k] (per-channel scales live with the layer):
//   C[m, n] = sum_k (A[m, k] - activation_offset()) * W[n, k], exactly, on every back end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "quant/weight_arena.h"

namespace edgembed::quant {

class Int8Gemm {
public:
    virtual ~Int8Gemm() = default;
    // a: [m, k] row-major u8 (a back end may rewrite it in place as scratch); c: [m, n] row-major. Up to
    // `threads` threads (the caller's included) share the work.
    virtual void run(uint8_t* a, size_t m, int32_t* c, size_t threads) const = 0;
    // What the back end subtracts from every activation (0 for u8 x s8 hardware, 128 where it runs s8 x s8).
    virtual int32_t activation_offset() const = 0;
    virtual const char* name() const = 0;
    // True when run() reads the `w` the back end was built from; the others read their own packed copy.
    virtual bool reads_source_weights() const { return false; }
    // sum_k W[n, k]: dequantization folds the per-token zero point with it.
    const int32_t* col_sums() const { return col_sums_.data(); }

protected:
    // sum_columns false: the derived class fills col_sums_ ([n]) itself.
    Int8Gemm(const int8_t* w, size_t n, size_t k, bool sum_columns = true);
    std::vector<int32_t> col_sums_;
};

// The best back end for this build and CPU, within the ISA cap (simd::active_isa()): oneDNN where it is
// exact (VNNI), else the project's packed kernels ("avx512vnni", "avx2"; "neon-dotprod", "neon"), else
// "generic"; the environment variable EDGEMBED_INT8_GEMM=<name> overrides it (Error(invalid_argument)
// when that back end is missing). `w` ([n, k]) must outlive the result unless the back end repacks it
// (the project's packed kernels, into `arena`, which must outlive the result).
std::unique_ptr<Int8Gemm> make_int8_gemm(const int8_t* w, size_t n, size_t k, WeightArena& arena);
// The name of the back end make_int8_gemm() picks.
const char* int8_gemm_backend();

// Every back-end name this library knows ("generic", "avx2", "avx512vnni", "neon", "neon-dotprod",
// "onednn"), whether or not this build or CPU has it.
const std::vector<const char*>& int8_gemm_backend_names();
// One back end by name, for tests and benchmarks: nullptr when this build or CPU lacks it, or when it would
// not be exact here (oneDNN without VNNI). Ignores the ISA cap.
std::unique_ptr<Int8Gemm> make_int8_gemm_backend(const char* name, const int8_t* w, size_t n, size_t k,
                                                WeightArena& arena);

// The portable kernel: C = A W^T for int8 A [m, k] and W [n, k].
void s8_gemm_s32_generic(const int8_t* a, const int8_t* w, int32_t* c, size_t m, size_t n, size_t k);

}  // namespace edgembed::quant
