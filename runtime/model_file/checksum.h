// The model file's checksums (format.h): the header's, which depends on the format version, and each
// tensor's (version 2). The writer, the reader and tests that forge files share these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace edgembed::model_file {

// The checksum the header of `file` (its whole `size` bytes, header included) must carry, by the format
// version in that header: XXH64 of [kHeaderSize, data_offset) in version 2, of [kHeaderSize, size) in
// version 1 (and for any other version, so that a damaged version field still gets a defined value).
// data_offset is clamped to size.
uint64_t header_checksum(const uint8_t* file, uint64_t size);

// XXH3-64 of a tensor's bytes (version 2's per-tensor sum), and its spelling in the metadata: 16 lower-case
// hex digits. parse_tensor_checksum returns false for anything else.
uint64_t tensor_checksum(const void* data, size_t size);
std::string tensor_checksum_hex(uint64_t checksum);
bool parse_tensor_checksum(const std::string& hex, uint64_t* checksum);

}  // namespace edgembed::model_file
