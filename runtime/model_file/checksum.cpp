#include "runtime/model_file/checksum.h"

#include <algorithm>
#include <cstring>
#include <xxhash.h>
#if defined(EDGEMBED_HAVE_XXH3_DISPATCH)
#include <xxh_x86dispatch.h>  // libxxhash's XXH3 with run-time ISA dispatch (its plain XXH3 is built for SSE2)
#endif

#include "runtime/model_file/format.h"

namespace edgembed::model_file {

uint64_t header_checksum(const uint8_t* file, uint64_t size) {
    if (size <= kHeaderSize) return XXH64(file, 0, 0);
    FileHeader header;
    std::memcpy(&header, file, sizeof header);
    const uint64_t end = header.format_version >= 2 ? std::clamp<uint64_t>(header.data_offset, kHeaderSize, size) : size;
    return XXH64(file + kHeaderSize, end - kHeaderSize, 0);
}

// Through libxxhash's AVX2 / AVX-512 dispatch where it has one (runtime/CMakeLists.txt): its plain XXH3 is
// built for SSE2. The same hash either way.
uint64_t tensor_checksum(const void* data, size_t size) {
#if defined(EDGEMBED_HAVE_XXH3_DISPATCH)
    return XXH3_64bits_dispatch(data, size);
#else
    return XXH3_64bits(data, size);
#endif
}

std::string tensor_checksum_hex(uint64_t checksum) {
    static const char digits[] = "0123456789abcdef";
    std::string hex(16, '0');
    for (int i = 15; i >= 0; --i, checksum >>= 4) hex[static_cast<size_t>(i)] = digits[checksum & 15];
    return hex;
}

bool parse_tensor_checksum(const std::string& hex, uint64_t* checksum) {
    if (hex.size() != 16) return false;
    uint64_t value = 0;
    for (char c : hex) {
        const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) return false;
        value = value << 4 | static_cast<uint64_t>(digit);
    }
    *checksum = value;
    return true;
}

}  // namespace edgembed::model_file
