// Reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}), then the data.
// The file is memory-mapped; every check a hostile file could defeat is made before any view is
// handed out: header length limit, well-formed JSON, no duplicate names, accepted dtypes, shape x
// dtype size == end - begin, offsets inside the data section, no two tensors overlapping. Tensors
// need not be sorted or contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tools/convert/checkpoint_tensors.h"

namespace edgembed::convert {

inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;
inline constexpr size_t kMaxSafetensorsRank = 8;

// Throws Error(invalid_checkpoint) with "<file name>: <what is wrong>", or file_not_found / io_error.
TensorSet read_safetensors(const std::string& path);

// The same checks over a file's bytes already in memory; the views point into `bytes`, which `owner`
// keeps alive (it is added to the set; may be null when the caller outlives the set). `file` names the
// file in messages. For read_safetensors and the fuzzer (fuzz/fuzz_safetensors.cpp).
TensorSet parse_safetensors(const uint8_t* bytes, size_t size, const std::string& file,
                            std::shared_ptr<const void> owner);

}  // namespace edgembed::convert
