// Sentence-transformers pooling over one text's token states, then optional L2 normalization.
#pragma once

#include <cstddef>

#include "runtime/model_config.h"

namespace edgembed {

// tokens: [length, dim] row-major, length >= 1; out: [dim].
void pool(Pooling pooling, const float* tokens, size_t length, size_t dim, float* out);
// Divides by max(||x||, 1e-12) as torch.nn.functional.normalize does.
void l2_normalize(float* x, size_t dim);

}  // namespace edgembed
