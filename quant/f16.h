// IEEE half <-> float conversion (scalar reference; weights are widened once at load).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgembed::quant {

float f16_to_f32(uint16_t h) noexcept;
uint16_t f32_to_f16(float f) noexcept;  // round to nearest even; overflow -> inf; NaN stays NaN
void f16_to_f32_array(const uint16_t* in, float* out, size_t n) noexcept;

}  // namespace edgembed::quant
