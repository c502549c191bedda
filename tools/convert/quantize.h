// The step between tensor mapping and writing: turns the mapped f32 tensors into the stored weight
// format. Only f32 exists so far; f16 and int8 (qc8: int8 weights + a per-output-channel f32 scale
// tensor for every is_linear_weight tensor) slot in here without touching the mapping or the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/dtype.h"

namespace edgembed::convert {

// The --dtype values; the name is also ModelConfig::weight_dtype.
enum class WeightFormat : uint8_t { f32, f16, int8 };
const char* weight_format_name(WeightFormat format) noexcept;
// Throws Error(invalid_argument) for an unknown name, and for a known format that is not implemented
// yet ("--dtype f16 is not implemented yet (only f32)"), so a conversion fails before reading anything.
WeightFormat weight_format_from_name(const std::string& name);

// A checkpoint tensor under its canonical name (runtime/models/bert_tensors.h), as f32.
struct MappedTensor {
    std::string name;
    std::vector<int64_t> shape;
    bool is_linear_weight;  // [out, in] matrix of a linear layer: what int8 quantizes
    std::vector<float> values;
};

// A tensor as the model file stores it.
struct OutputTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

// Consumes `tensors` (each is freed once converted, to keep the peak memory low).
std::vector<OutputTensor> quantize_tensors(std::vector<MappedTensor> tensors, WeightFormat format);

}  // namespace edgembed::convert
