#include "runtime/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "simd/kernels.h"

namespace edgembed {

void pool(Pooling pooling, const float* tokens, size_t length, size_t dim, float* out) {
    const simd::Kernels& k = simd::kernels();
    switch (pooling) {
        case Pooling::cls:
            std::memcpy(out, tokens, dim * sizeof(float));
            return;
        case Pooling::last_token:
            std::memcpy(out, tokens + (length - 1) * dim, dim * sizeof(float));
            return;
        case Pooling::max:
            std::memcpy(out, tokens, dim * sizeof(float));
            for (size_t i = 1; i < length; ++i) k.f32_max(tokens + i * dim, out, dim);
            return;
        case Pooling::mean:
            std::memset(out, 0, dim * sizeof(float));
            for (size_t i = 0; i < length; ++i) k.f32_add(out, tokens + i * dim, out, dim);
            k.f32_scale(out, 1.0f / static_cast<float>(std::max<size_t>(length, 1)), out, dim);
            return;
    }
}

void l2_normalize(float* x, size_t dim) {
    const simd::Kernels& k = simd::kernels();
    const float norm = std::sqrt(k.f32_sum_squares(x, dim));
    k.f32_scale(x, 1.0f / std::max(norm, 1e-12f), x, dim);
}

}  // namespace edgembed
