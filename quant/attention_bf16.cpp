#include "quant/attention_bf16.h"

#include <cstdint>

#include "simd/isa.h"

namespace edgembed::quant {

namespace {
size_t up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }
}  // namespace

bool bf16_attention_available() noexcept {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
    return simd::isa_available(simd::Isa::avx512bw) && __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

size_t bf16_attention_scratch_bytes(size_t length, size_t d) {
    const size_t scores = length * d + d * up(length, 16);                     // Q rows, packed K
    const size_t context = length * up(length, 2) + up(length, 2) * up(d, 16);  // P rows, packed V
    return (scores > context ? scores : context) * sizeof(uint16_t);
}

}  // namespace edgembed::quant
