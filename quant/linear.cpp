#include "quant/linear.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.h"
#include "base/thread_pool.h"
#include "quant/f32_gemm.h"
#include "quant/int8_gemm.h"
#include "simd/kernels.h"


namespace edgembed::quant {

namespace {

template <class T>
T* grow(std::vector<T>& buffer, size_t size) {
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

// f32 weights (from the file, or widened from f16), packed at load for the simd kernel f32_gemm_packed.
class F32Linear final : public Linear {
public:
    template <class Weight>  // float, or uint16_t for f16
    F32Linear(const Weight* w, size_t in, size_t out, const float* bias, WeightArena& arena)
        : Linear(in, out), weights_(w, out, in, arena), bias_(bias) {}

    void forward(const float* x, size_t m, float* y, const float* residual, Epilogue epilogue,
                 LinearScratch& s) const override {
        if (residual != nullptr && residual != y) std::memcpy(y, residual, m * out_ * sizeof(float));
        weights_.linear(x, in_, bias_, y, out_, m, residual != nullptr, epilogue == Epilogue::gelu, s.threads);
    }
    const char* kind() const override { return "f32"; }

private:
    PackedF32Weights weights_;
    const float* bias_;
};

// Row passes parallelize from this many values up (below, waking the threads costs more than they save:
// 16 tokens of MiniLM run them on one), in chunks of kRowChunk rows.
constexpr size_t kParallelValues = size_t(1) << 15;
constexpr size_t kRowChunk = 4;
// Rows whose outlier-channel products one call adds (the kernel shares each load of the f32 columns among them).
constexpr size_t kOutlierRows = 8;
// From kChunksPerThread chunks per thread up, a quantized layer runs as chunks of kChunkRows rows that
// the threads take as they finish, each quantized, multiplied and dequantized by the thread that took
// it: one parallel region instead of three, and a core slowed by other work takes fewer chunks instead
// of holding the other at a barrier. A MiniLM layer's int8 weights (at most 590 KB) stay in each core's
// L2 across its chunks, and so do a chunk's accumulators (one thread too: at 32 x 128 tokens about 4 %
// faster than a whole-batch pass, whose accumulators leave L2).
constexpr size_t kChunkRows = 32;
constexpr size_t kChunksPerThread = 2;

// int8 weights with per-output-channel scales; activations quantized per token (row) at run time.
class Qc8Linear final : public Linear {
public:
    // outlier_channels / outlier_columns: see OutlierChannels (K = outlier_channels.size(); 0 = none).
    Qc8Linear(const int8_t* w, const float* scales, size_t in, size_t out, const float* bias, WeightArena& arena,
              std::vector<int32_t> outlier_channels = {}, const float* outlier_columns = nullptr)
        : Linear(in, out), gemm_(make_int8_gemm(w, out, in, arena)), scales_(scales), bias_(bias),
          outlier_channels_(std::move(outlier_channels)), outlier_stride_(outlier_row_stride(out)) {
        const size_t channels = outlier_channels_.size();
        outlier_rows_.assign(outlier_stride_ * channels, 0.0f);  // the file's [out, K] columns as [K, out] rows
        for (size_t j = 0; j < out; ++j)
            for (size_t c = 0; c < channels; ++c)
                outlier_rows_[c * outlier_stride_ + j] = outlier_columns[j * channels + c];
    }

    void forward(const float* x, size_t m, float* y, const float* residual, Epilogue epilogue,
                 LinearScratch& s) const override {
        uint8_t* q = grow(s.activations, m * in_);
        float* row_scales = grow(s.row_scales, m);
        int32_t* zero_points = grow(s.zero_points, m);
        int32_t* acc = grow(s.accumulators, m * out_);
        const size_t threads = s.threads;
        if (m >= kChunkRows * kChunksPerThread * threads) {
            const size_t chunks = (m + kChunkRows - 1) / kChunkRows;
            parallel_for(threads, chunks, 1, [&](size_t first_chunk, size_t end_chunk, size_t) {
                for (size_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
                    const size_t first = chunk * kChunkRows, count = std::min(kChunkRows, m - first);
                    quantize_rows(x, q, row_scales, zero_points, first, first + count);
                    gemm_->run(q + first * in_, count, acc + first * out_, 1);
                    dequantize_rows(x, acc, row_scales, zero_points, residual, epilogue, y, first, first + count);
                }
            });
            return;
        }
        // The row passes around the matmul share its threads: serial, they were what kept two threads
        // from scaling.
        parallel_for(m * in_ >= kParallelValues ? threads : 1, m, kRowChunk, [&](size_t first, size_t last, size_t) {
            quantize_rows(x, q, row_scales, zero_points, first, last);
        });
        gemm_->run(q, m, acc, threads);
        const size_t out_threads = m * out_ >= kParallelValues ? threads : 1;
        parallel_for(out_threads, m, kRowChunk, [&](size_t first, size_t last, size_t) {
            dequantize_rows(x, acc, row_scales, zero_points, residual, epilogue, y, first, last);
        });
    }
    const char* kind() const override { return "qc8"; }
    bool reads_source_weights() const override { return gemm_->reads_source_weights(); }

private:
    // Rows [first, last) of x to u8 in q, with their scales and zero points; the outlier channels as 0.
    void quantize_rows(const float* x, uint8_t* q, float* row_scales, int32_t* zero_points, size_t first,
                       size_t last) const {
        const simd::Kernels& k = simd::kernels();
        if (outlier_channels_.empty()) {
            for (size_t i = first; i < last; ++i)
                row_scales[i] = k.f32_quantize_qu8(x + i * in_, in_, q + i * in_, zero_points + i);
            return;
        }
        thread_local std::vector<float> inliers;  // per thread: rows may be quantized concurrently
        float* row = grow(inliers, in_);
        for (size_t i = first; i < last; ++i) {
            std::memcpy(row, x + i * in_, in_ * sizeof(float));
            for (int32_t c : outlier_channels_) row[c] = 0.0f;
            row_scales[i] = k.f32_quantize_qu8(row, in_, q + i * in_, zero_points + i);
        }
    }

    // y rows [first, last) from their int32 sums (plus the outlier channels' f32 products), then the epilogue.
    void dequantize_rows(const float* x, const int32_t* acc, const float* row_scales, const int32_t* zero_points,
                         const float* residual, Epilogue epilogue, float* y, size_t first, size_t last) const {
        const simd::Kernels& k = simd::kernels();
        const int32_t offset = gemm_->activation_offset();
        const size_t channels = outlier_channels_.size();
        thread_local std::vector<float> outliers;
        float* gathered = channels == 0 ? nullptr : grow(outliers, kOutlierRows * channels);
        for (size_t block = first; block < last; block += kOutlierRows) {  // a block of rows stays in cache
            const size_t end = std::min(last, block + kOutlierRows);
            for (size_t i = block; i < end; ++i)
                k.s32_dequantize(acc + i * out_, zero_points[i] - offset, gemm_->col_sums(), row_scales[i], scales_,
                                 bias_, residual ? residual + i * out_ : nullptr, y + i * out_, out_);
            if (gathered) {  // + the outlier channels' products, summed in double: the same bits on every ISA
                for (size_t i = block; i < end; ++i)
                    for (size_t c = 0; c < channels; ++c)
                        gathered[(i - block) * channels + c] = x[i * in_ + outlier_channels_[c]];
                k.f32_add_products_f64(gathered, end - block, channels, outlier_rows_.data(), outlier_stride_,
                                       y + block * out_, out_);
            }
            if (epilogue == Epilogue::gelu)
                for (size_t i = block; i < end; ++i) k.f32_gelu(y + i * out_, y + i * out_, out_);
        }
    }

    std::unique_ptr<Int8Gemm> gemm_;
    const float* scales_;
    const float* bias_;
    // The outlier rows' stride: out, plus 16 floats when out floats are a multiple of 4 KB. Rows 4 KB apart share
    // the L1 cache's sets and evict each other (3072 outputs: the kernel ran 2.3x slower, bench_kernels).
    static size_t outlier_row_stride(size_t out) { return out * sizeof(float) % 4096 == 0 ? out + 16 : out; }

    std::vector<int32_t> outlier_channels_;
    size_t outlier_stride_;
    std::vector<float> outlier_rows_;  // [K, outlier_stride_]; empty without outlier channels
};

// The outlier channels' indices, checked against the layer's shape.
std::vector<int32_t> checked_outlier_channels(const OutlierChannels& o, int64_t in, int64_t out) {
    const int64_t count = o.channels.shape.size() == 1 ? o.channels.shape[0] : 0;
    if (o.channels.dtype != DType::i32 || count < 1 || count > in)
        throw Error(Status::corrupt_model_file, "an int8 weight's outlier channels must be i32 [K], 1 <= K <= its inputs");
    if (o.columns.dtype != DType::f32 || o.columns.shape != std::vector<int64_t>{out, count})
        throw Error(Status::corrupt_model_file, "an int8 weight's outlier columns must be f32 [outputs, K]");
    const auto* first = static_cast<const int32_t*>(o.channels.data);
    std::vector<int32_t> channels(first, first + count), sorted = channels;
    std::sort(sorted.begin(), sorted.end());
    if (sorted.front() < 0 || sorted.back() >= in || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        throw Error(Status::corrupt_model_file, "an int8 weight's outlier channels must be distinct inputs");
    return channels;
}

}  // namespace

std::unique_ptr<Linear> make_linear(const TensorView& weight, const TensorView* scales,
                                    const float* bias, WeightArena& arena, const OutlierChannels* outliers) {
    if (weight.shape.size() != 2) throw Error(Status::corrupt_model_file, "a linear weight must be a matrix");
    const size_t out = static_cast<size_t>(weight.shape[0]), in = static_cast<size_t>(weight.shape[1]);
    if (outliers != nullptr && weight.dtype != DType::qc8)
        throw Error(Status::corrupt_model_file, "only int8 weights can have outlier channels");
    switch (weight.dtype) {
        case DType::f32:
            return std::make_unique<F32Linear>(static_cast<const float*>(weight.data), in, out, bias, arena);
        case DType::f16:
            return std::make_unique<F32Linear>(static_cast<const uint16_t*>(weight.data), in, out, bias, arena);
        case DType::qc8:
            if (scales == nullptr || scales->dtype != DType::f32 || scales->shape != std::vector<int64_t>{weight.shape[0]})
                throw Error(Status::corrupt_model_file, "an int8 weight needs an f32 scale per output channel");
            return std::make_unique<Qc8Linear>(
                static_cast<const int8_t*>(weight.data), static_cast<const float*>(scales->data), in, out, bias, arena,
                outliers ? checked_outlier_channels(*outliers, weight.shape[1], weight.shape[0]) : std::vector<int32_t>{},
                outliers ? static_cast<const float*>(outliers->columns.data) : nullptr);
        default:
            throw Error(Status::corrupt_model_file, std::string("linear weights of dtype ") + dtype_name(weight.dtype) +
                                                        " are not supported");
    }
}

}  // namespace edgembed::quant
