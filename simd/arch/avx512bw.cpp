// Instantiates the generic kernels for avx512bw (this file alone is compiled with the avx512bw flags).
#include "simd/f32_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd {

void fill_kernels_avx512bw(Kernels& k) { generic::fill_kernels<xsimd::avx512bw>(k); }

}  // namespace edgembed::simd
