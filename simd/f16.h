// IEEE half <-> float conversion, scalar: the converter's f32 -> f16, the reference for the f16_to_f32
// kernel, and its tail.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgembed::simd {

float f16_to_f32_scalar(uint16_t h) noexcept;
uint16_t f32_to_f16_scalar(float f) noexcept;  // round to nearest even; overflow -> inf; NaN stays NaN

}  // namespace edgembed::simd
