// The kernel table: one function pointer per kernel, filled once for the active ISA. Hot paths call
// through it and never test CPU features. Kernel list: simd/kernel_list.inc (tests and benchmarks
// include the same list).
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/isa.h"

namespace edgembed::simd {

struct Kernels {
#define EDGEMBED_KERNEL(name, ret, params) ret(*name) params;
#include "simd/kernel_list.inc"
#undef EDGEMBED_KERNEL
};

// One type per kernel, for code that overloads on the kernel (the tests' oracle checks and the
// benchmarks' cases, which kernel_list.inc then requires for every kernel): KernelTag<&Kernels::f32_gelu>.
template <auto Kernel>
struct KernelTag {};

// Kernels for active_isa(), resolved on first use.
const Kernels& kernels();
// Kernels for one ISA; nullptr when the ISA is not available (tests iterate over all).
const Kernels* kernels_for(Isa isa);
// The scalar references (simd/ref/), which are also the scalar ISA's kernels.
const Kernels& reference_kernels();

}  // namespace edgembed::simd
