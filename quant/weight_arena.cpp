#include "quant/weight_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>

#include "base/error.h"

namespace edgembed::quant {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kHugePage = size_t(2) << 20;

size_t round_up(size_t x, size_t multiple) { return (x + multiple - 1) / multiple * multiple; }

}  // namespace

void WeightArena::Free::operator()(uint8_t* p) const { std::free(p); }

void* WeightArena::allocate(size_t bytes) {
    bytes = round_up(std::max<size_t>(bytes, 1), kAlignment);
    if (bytes > left_) {
        const size_t wanted = std::max(bytes, block_bytes_);
        // aligned_alloc wants a multiple of the alignment; the untouched rest of a block costs no memory.
        const bool huge = wanted >= kHugePage;
        const size_t size = huge ? round_up(wanted, kHugePage) : wanted;
        auto* block = static_cast<uint8_t*>(std::aligned_alloc(huge ? kHugePage : kAlignment, size));
        if (block == nullptr)
            throw Error(Status::out_of_memory, "cannot allocate " + std::to_string(size) + " bytes for packed weights");
#if defined(MADV_HUGEPAGE)
        if (huge) madvise(block, size, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
        blocks_.emplace_back(block);
        next_ = block;
        left_ = size;
        reserved_ += size;
    }
    void* p = next_;
    next_ += bytes;
    left_ -= bytes;
    return p;
}

}  // namespace edgembed::quant
