// A typed, shaped view of tensor bytes owned elsewhere (a mapped model file, a packed buffer):
// what the model file reader hands out and what the GEMM back ends take.
#pragma once

#include <cstdint>
#include <vector>

#include "base/dtype.h"

namespace edgembed {

struct TensorView {
    DType dtype;
    std::vector<int64_t> shape;
    const void* data;  // not owned; a model file's tensors are aligned to its kTensorAlignment
    uint64_t nbytes;
    int64_t elements() const;  // product of shape (1 for a scalar)
};

}  // namespace edgembed
