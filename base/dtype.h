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
    i32 = 5,  // indices (a qc8 weight's outlier channels)
};

// Returns false for an unknown name.
bool dtype_from_name(std::string_view name, DType* out) noexcept;
const char* dtype_name(DType dtype) noexcept;
size_t dtype_size(DType dtype) noexcept;  // bytes per element

// A qc8 weight tensor "<name>" carries its per-output-channel f32 scales as "<name>.scales".
inline std::string qc8_scales_name(const std::string& weight_name) { return weight_name + ".scales"; }
// A qc8 weight may keep a few input channels out of int8 (outlier decomposition, quant/linear.h): their
// indices as i32 "<name>.outlier_channels" [K], their weight columns as f32 "<name>.outlier_columns"
// [out, K] (zero in the int8 weight). Both or neither.
inline std::string qc8_outlier_channels_name(const std::string& weight_name) { return weight_name + ".outlier_channels"; }
inline std::string qc8_outlier_columns_name(const std::string& weight_name) { return weight_name + ".outlier_columns"; }

}  // namespace edgembed
