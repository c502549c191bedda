// Element types of stored tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgembed {

enum class DType : uint8_t {
    f32 = 0,
    f16 = 1,
    bf16 = 2,
    qc8 = 3,  // int8, per-output-channel scales
    u8 = 4,   // raw bytes: a blob such as a serialized tokenizer model, shape [nbytes]
};

// Returns false for an unknown name.
bool dtype_from_name(std::string_view name, DType* out) noexcept;
const char* dtype_name(DType dtype) noexcept;
size_t dtype_size(DType dtype) noexcept;  // bytes per element

// A qc8 weight tensor "<name>" carries its per-output-channel f32 scales as "<name>.scales".
inline std::string qc8_scales_name(const std::string& weight_name) { return weight_name + ".scales"; }

}  // namespace edgembed
