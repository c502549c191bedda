#include "tools/convert/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "simd/f16.h"
#include "base/error.h"

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

template <class T>
std::vector<uint8_t> as_bytes(const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

OutputTensor to_f16(const MappedTensor& t) {
    std::vector<uint16_t> halves(t.values.size());
    for (size_t i = 0; i < halves.size(); ++i) {
        halves[i] = simd::f32_to_f16_scalar(t.values[i]);
        if (std::isinf(simd::f16_to_f32_scalar(halves[i])))
            throw Error(Status::invalid_weights, "tensor '" + t.name + "' element " + std::to_string(i) +
                                                     " overflows f16 (|x| > 65504): convert with --dtype f32");
    }
    return {t.name, DType::f16, t.shape, as_bytes(halves)};
}

// Symmetric per-output-channel int8: scale[n] = max|W[n, :]| / 127, q = nearbyint(W / scale). The
// outlier channels' columns move to an f32 [rows, K] tensor first, zero in the int8 weight.
void to_qc8(MappedTensor& t, const std::vector<int32_t>& outliers, std::vector<OutputTensor>& out) {
    const size_t rows = static_cast<size_t>(t.shape[0]), cols = static_cast<size_t>(t.shape[1]);
    for (int32_t c : outliers)
        if (c < 0 || static_cast<size_t>(c) >= cols)
            throw Error(Status::invalid_argument, "outlier channel " + std::to_string(c) + " of '" + t.name + "' is not an input");
    if (!outliers.empty()) {
        std::vector<float> columns(rows * outliers.size());
        for (size_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < outliers.size(); ++c) {
                float& w = t.values[r * cols + static_cast<size_t>(outliers[c])];
                columns[r * outliers.size() + c] = w;
                w = 0.0f;
            }
        out.push_back({qc8_outlier_channels_name(t.name), DType::i32, {static_cast<int64_t>(outliers.size())}, as_bytes(outliers)});
        out.push_back({qc8_outlier_columns_name(t.name), DType::f32, {t.shape[0], static_cast<int64_t>(outliers.size())},
                       as_bytes(columns)});
    }
    std::vector<int8_t> q(rows * cols);
    std::vector<float> scales(rows);
    for (size_t r = 0; r < rows; ++r) {
        const float* row = t.values.data() + r * cols;
        float max_abs = 0.0f;
        for (size_t c = 0; c < cols; ++c) max_abs = std::max(max_abs, std::fabs(row[c]));
        scales[r] = max_abs / 127.0f;
        const float inv = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
        for (size_t c = 0; c < cols; ++c) q[r * cols + c] = static_cast<int8_t>(std::nearbyint(row[c] * inv));
    }
    out.push_back({t.name, DType::qc8, t.shape, as_bytes(q)});
    out.push_back({qc8_scales_name(t.name), DType::f32, {t.shape[0]}, as_bytes(scales)});
}

}  // namespace

WeightFormat weight_format_from_name(const std::string& name) {
    for (WeightFormat f : {WeightFormat::f32, WeightFormat::f16, WeightFormat::int8}) {
        if (name == weight_format_name(f)) return f;
    }
    throw Error(Status::invalid_argument, "unknown --dtype '" + name + "' (f32, f16 or int8)");
}

std::vector<OutputTensor> quantize_tensors(std::vector<MappedTensor> tensors, WeightFormat format, const Int8Plan& plan) {
    std::vector<OutputTensor> out;
    out.reserve(tensors.size() + 64);
    for (MappedTensor& t : tensors) {
        const bool matrix = t.shape.size() == 2;
        // f16: every matrix (embedding tables included). int8: linear weights in int8, embedding tables in
        // f16 (gathered row by row at run time, so an int8 model maps them without widening); vectors
        // (biases, LayerNorm) stay f32 in every format.
        if (format == WeightFormat::int8 && t.is_linear_weight && plan.keep_f16.count(t.name) == 0) {
            const auto outliers = plan.outlier_channels.find(t.name);
            to_qc8(t, outliers == plan.outlier_channels.end() ? std::vector<int32_t>{} : outliers->second, out);
        }
        else if (format != WeightFormat::f32 && matrix) out.push_back(to_f16(t));
        else out.push_back({t.name, DType::f32, t.shape, as_bytes(t.values)});
        std::vector<float>().swap(t.values);
    }
    return out;
}

}  // namespace edgembed::convert
