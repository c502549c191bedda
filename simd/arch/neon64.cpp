// Instantiates the generic kernels for neon64 (this file alone is compiled with the neon64 flags).
#include "simd/f32_kernels.hpp"
#include "simd/kernels.h"

namespace edgembed::simd {

void fill_kernels_neon64(Kernels& k) { generic::fill_kernels<xsimd::neon64>(k); }

}  // namespace edgembed::simd
