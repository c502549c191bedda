// The edgembed model file, version 2. One file, mmap-able, little-endian:
//
//   [0, 64)            FileHeader (below)
//   [64, 64+M)         metadata: UTF-8 JSON (ModelConfig + tensor table), zero-padded to a multiple of 64
//   [data_offset, end) tensor data; every tensor starts at a multiple of kTensorAlignment from the file start,
//                      every byte outside a tensor is zero
//
// The metadata JSON has the keys "config" (ModelConfig, see runtime/model_config.h) and "tensors":
// [{"name": str, "dtype": "f32"|"f16"|"bf16"|"qc8"|"u8" (base/dtype.h), "shape": [int...], "offset": int, "nbytes": int,
//   "xxh3": 16 hex digits}], where offset is relative to data_offset.
//
// Checksums. Version 2: the header's checksum is XXH64 (seed 0) of bytes [64, data_offset) (the metadata and its
// padding), and each tensor carries the XXH3-64 of its bytes, which the loader checks when the tensor is first
// used, so that the file is read once (the data is in cache for packing) instead of once more up front.
// Version 1 (still read): checksum = XXH64 of every byte from offset 64 to the end of the file, no tensor sums.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgembed::model_file {

inline constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'M', 'B', 'E', 'D'};
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestFormatVersion = 1;  // still read
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kTensorAlignment = 64;
// Hostile-file limits: a loader refuses anything larger.
inline constexpr uint64_t kMaxMetadataBytes = 64ull << 20;
inline constexpr size_t kMaxTensorRank = 4;

struct FileHeader {
    char magic[8];              // kMagic
    uint32_t format_version;    // kFormatVersion
    uint32_t header_size;       // kHeaderSize
    uint64_t metadata_offset;   // kHeaderSize
    uint64_t metadata_size;     // bytes of JSON, without padding
    uint64_t data_offset;       // multiple of kTensorAlignment
    uint64_t data_size;         // bytes from data_offset to the end of the file
    uint64_t checksum;          // XXH64 of bytes [kHeaderSize, data_offset) (version 1: to the file end)
    uint64_t reserved;          // 0
};
static_assert(sizeof(FileHeader) == kHeaderSize, "header must be exactly 64 bytes");

inline constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

}  // namespace edgembed::model_file
