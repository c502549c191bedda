// Memory for a model's packed weights: handed out in order from large blocks, freed all at once with the
// arena. Blocks of 2 MB or more start on a huge page and ask the kernel for huge pages, so that packing
// faults the weights in 2 MB at a time rather than 4 KB: the int8 MiniLM's load, one core, 16.3 ms
// instead of 19.1 with a buffer per layer (docs/perf/notes.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace edgembed::quant {

class WeightArena {
public:
    static constexpr size_t kDefaultBlockBytes = size_t(16) << 20;
    // Each block holds block_bytes; a larger request gets a block of its own size (0: every request does).
    explicit WeightArena(size_t block_bytes = kDefaultBlockBytes) : block_bytes_(block_bytes) {}
    WeightArena(const WeightArena&) = delete;
    WeightArena& operator=(const WeightArena&) = delete;

    // `bytes` (at least 1) of uninitialized memory, 64-byte aligned, valid as long as the arena.
    // Not thread-safe. Throws Error(out_of_memory).
    void* allocate(size_t bytes);
    // Bytes reserved in blocks so far (address space; only what is written becomes resident).
    size_t reserved_bytes() const { return reserved_; }

private:
    struct Free {
        void operator()(uint8_t* p) const;
    };
    size_t block_bytes_;
    std::vector<std::unique_ptr<uint8_t, Free>> blocks_;
    uint8_t* next_ = nullptr;
    size_t left_ = 0, reserved_ = 0;
};

}  // namespace edgembed::quant
