#include "base/dtype.h"

namespace edgembed {

bool dtype_from_name(std::string_view name, DType* out) noexcept {
    if (name == "f32") { *out = DType::f32; return true; }
    if (name == "f16") { *out = DType::f16; return true; }
    if (name == "bf16") { *out = DType::bf16; return true; }
    if (name == "qc8") { *out = DType::qc8; return true; }
    if (name == "u8") { *out = DType::u8; return true; }
    if (name == "i32") { *out = DType::i32; return true; }
    return false;
}

const char* dtype_name(DType dtype) noexcept {
    switch (dtype) {
        case DType::f32: return "f32";
        case DType::f16: return "f16";
        case DType::bf16: return "bf16";
        case DType::qc8: return "qc8";
        case DType::u8: return "u8";
        case DType::i32: return "i32";
    }
    return "?";
}

size_t dtype_size(DType dtype) noexcept {
    switch (dtype) {
        case DType::f32: return 4;
        case DType::f16: return 2;
        case DType::bf16: return 2;
        case DType::qc8: return 1;
        case DType::u8: return 1;
        case DType::i32: return 4;
    }
    return 0;
}

}  // namespace edgembed
