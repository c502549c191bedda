#include "quant/weight_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace {

using edgembed::quant::WeightArena;

constexpr size_t kHugePage = size_t(2) << 20;

// Every allocation is 64-byte aligned, at least as large as asked, and overlaps no other: each is filled
// with its own byte and all are read back after the last one is made.
void expect_disjoint_and_aligned(WeightArena& arena, const std::vector<size_t>& sizes) {
    std::vector<std::pair<uint8_t*, size_t>> blocks;
    for (size_t i = 0; i < sizes.size(); ++i) {
        auto* p = static_cast<uint8_t*>(arena.allocate(sizes[i]));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << "allocation " << i << " of " << sizes[i] << " bytes";
        std::memset(p, static_cast<int>(i + 1), sizes[i]);
        blocks.emplace_back(p, sizes[i]);
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
        const auto [p, size] = blocks[i];
        EXPECT_TRUE(std::all_of(p, p + size, [&](uint8_t b) { return b == static_cast<uint8_t>(i + 1); }))
            << "allocation " << i << " was overwritten";
    }
}

TEST(WeightArena, AllocationsAreAlignedAndDisjoint) {
    WeightArena arena(1 << 16);
    // Sizes around the alignment, a request that ends a block, and ones larger than a block.
    expect_disjoint_and_aligned(arena, {1, 63, 64, 65, 1000, 0, (1 << 16) - 64, 3, 1 << 17, 7, (1 << 16) + 1, 64});
}

TEST(WeightArena, ZeroBlockSizeGivesEveryRequestItsOwnBlock) {
    WeightArena arena(0);
    expect_disjoint_and_aligned(arena, {1, 100, 5000, 64});
    EXPECT_EQ(arena.reserved_bytes(), 64u + 128u + 5056u + 64u);
}

TEST(WeightArena, SmallRequestsShareOneBlock) {
    WeightArena arena(1 << 20);
    for (int i = 0; i < 100; ++i) arena.allocate(1000);
    EXPECT_EQ(arena.reserved_bytes(), size_t(1) << 20);
    arena.allocate(size_t(1) << 20);  // does not fit what is left: a block of its own
    EXPECT_EQ(arena.reserved_bytes(), size_t(2) << 20);
}

// Blocks of 2 MB or more are whole huge pages that start on a huge-page boundary.
TEST(WeightArena, LargeBlocksStartOnAHugePage) {
    WeightArena arena;
    auto* first = static_cast<uint8_t*>(arena.allocate(100));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % kHugePage, 0u);
    EXPECT_EQ(arena.reserved_bytes(), WeightArena::kDefaultBlockBytes);
    auto* big = static_cast<uint8_t*>(arena.allocate(WeightArena::kDefaultBlockBytes + 1));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % kHugePage, 0u);
    EXPECT_EQ(arena.reserved_bytes(), WeightArena::kDefaultBlockBytes * 2 + kHugePage);
    big[WeightArena::kDefaultBlockBytes] = 1;  // the last byte asked for is writable
}

}  // namespace
