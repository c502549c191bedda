// A linear layer y = x W^T + b (+ residual) (then GELU), its weights prepared once at model load for
// the back end that runs it: f32 (packed for the simd kernel f32_gemm_packed; f16 weights are widened to
// f32 as they are packed) or qc8 (int8 weights with per-output-channel scales, activations quantized per token
// at run time, int32 accumulation on oneDNN or the project's own kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/tensor_view.h"
#include "quant/weight_arena.h"

namespace edgembed::quant {

enum class Epilogue : uint8_t { none, gelu };

// Per-context state of the linear layers: the thread budget and the quantized path's scratch.
struct LinearScratch {
    size_t threads = 1;                 // threads a forward() may use, the caller's included
    std::vector<uint8_t> activations;   // [m, k] quantized rows
    std::vector<float> row_scales;      // [m]
    std::vector<int32_t> zero_points;   // [m]
    std::vector<int32_t> accumulators;  // [m, n]
};

class Linear {
public:
    virtual ~Linear() = default;
    // x: [m, in] row-major; y: [m, out]. residual: [m, out] added after the bias (may equal y), or null.
    // Epilogue::gelu applies GELU after the bias (no residual then).
    virtual void forward(const float* x, size_t m, float* y, const float* residual, Epilogue epilogue,
                         LinearScratch& scratch) const = 0;
    virtual const char* kind() const = 0;  // "f32", "qc8"
    // True when forward() reads the weight tensor the layer was made from, which must then outlive it.
    virtual bool reads_source_weights() const { return false; }
    size_t in_features() const { return in_; }
    size_t out_features() const { return out_; }

protected:
    Linear(size_t in, size_t out) : in_(in), out_(out) {}
    size_t in_, out_;

private:
    Linear(const Linear&) = delete;
    Linear& operator=(const Linear&) = delete;
};

// weight: [out, in] f32, f16 or qc8 (then `scales` is its [out] f32 scale tensor). bias: [out] f32.
// Packed weights go into `arena`, which must outlive the layer. Throws Error(corrupt_model_file) on a
// dtype or shape it cannot run.
std::unique_ptr<Linear> make_linear(const TensorView& weight, const TensorView* scales,
                                    const float* bias, WeightArena& arena);

}  // namespace edgembed::quant
