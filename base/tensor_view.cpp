#include "base/tensor_view.h"

namespace edgembed {

int64_t TensorView::elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

}  // namespace edgembed
