// The step between tensor mapping and writing: turns the mapped f32 tensors into the stored weight
// format: f32; f16; int8 (qc8: int8 weights + a per-output-channel f32 scale tensor "<name>.scales"
// for every is_linear_weight tensor, and for those the plan names, outlier channels kept in f32:
// base/dtype.h's "<name>.outlier_channels" / "<name>.outlier_columns").
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/dtype.h"

namespace edgembed::convert {

// The --dtype values; the name is also ModelConfig::weight_dtype.
enum class WeightFormat : uint8_t { f32, f16, int8 };
const char* weight_format_name(WeightFormat format) noexcept;
// Throws Error(invalid_argument) for an unknown name, so a conversion fails before reading anything.
WeightFormat weight_format_from_name(const std::string& name);

// A checkpoint tensor under its canonical name (its family's tensor table, runtime/models/family.h), as f32.
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

// What the quality gate chose for an int8 model beyond plain per-channel int8.
struct Int8Plan {
    std::set<std::string> keep_f16;  // linear weights stored in f16 instead (the per-layer fallback)
    // Linear weight name -> the input channels kept out of int8: their columns are stored in f32 and
    // zeroed in the int8 weight (so they do not set its per-channel scales).
    std::map<std::string, std::vector<int32_t>> outlier_channels;
    bool empty() const { return keep_f16.empty() && outlier_channels.empty(); }
};

// Consumes `tensors` (each is freed once converted, to keep the peak memory low). With int8, `plan`
// applies; other formats ignore it.
std::vector<OutputTensor> quantize_tensors(std::vector<MappedTensor> tensors, WeightFormat format, const Int8Plan& plan = {});

}  // namespace edgembed::convert
