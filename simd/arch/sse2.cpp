// Instantiates the generic kernels for sse2 (this file alone is compiled with the sse2 flags).
#include "simd/f32_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd {

void fill_kernels_sse2(Kernels& k) { generic::fill_kernels<xsimd::sse2>(k); }

}  // namespace edgembed::simd
