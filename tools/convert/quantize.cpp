#include "tools/convert/quantize.h"

#include <cstring>

#include "runtime/error.h"

namespace edgembed::convert {

const char* weight_format_name(WeightFormat format) noexcept {
    switch (format) {
        case WeightFormat::f32: return "f32";
        case WeightFormat::f16: return "f16";
        case WeightFormat::int8: return "int8";
    }
    return "?";
}

namespace {

[[noreturn]] void not_implemented(WeightFormat format) {
    throw Error(Status::invalid_argument,
                std::string("--dtype ") + weight_format_name(format) + " is not implemented yet (only f32)");
}

}  // namespace

WeightFormat weight_format_from_name(const std::string& name) {
    for (WeightFormat f : {WeightFormat::f32, WeightFormat::f16, WeightFormat::int8}) {
        if (name != weight_format_name(f)) continue;
        if (f != WeightFormat::f32) not_implemented(f);
        return f;
    }
    throw Error(Status::invalid_argument, "unknown --dtype '" + name + "' (f32, f16 or int8)");
}

std::vector<OutputTensor> quantize_tensors(std::vector<MappedTensor> tensors, WeightFormat format) {
    if (format != WeightFormat::f32) not_implemented(format);
    std::vector<OutputTensor> out;
    out.reserve(tensors.size());
    for (MappedTensor& t : tensors) {
        OutputTensor o{t.name, DType::f32, t.shape, std::vector<uint8_t>(t.values.size() * sizeof(float))};
        if (!t.values.empty()) std::memcpy(o.bytes.data(), t.values.data(), o.bytes.size());
        std::vector<float>().swap(t.values);
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace edgembed::convert
