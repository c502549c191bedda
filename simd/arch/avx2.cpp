// Instantiates the generic kernels for avx2 (this file alone is compiled with the avx2 flags).
#include "simd/f32_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd {

void fill_kernels_avx2(Kernels& k) { generic::fill_kernels<xsimd::fma3<xsimd::avx2>>(k); }

}  // namespace edgembed::simd
