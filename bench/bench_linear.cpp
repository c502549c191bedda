// Google Benchmark for whole linear layers (quantize + GEMM + dequantize epilogue) at the shapes of
// all-MiniLM-L6-v2 (hidden 384, FFN 1536) and BERT-base (768, 3072), f32 and int8 (qc8).
// Run: build/bench/bench_linear --benchmark_counters_tabular=true
// The OP/s counter counts 2*M*N*K per call; compare with the one-core peaks in docs/toolchain.md.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "base/tensor_view.h"
#include "quant/linear.h"

namespace {

using edgembed::DType;
using edgembed::TensorView;

struct Layer {
    std::vector<float> w32, bias, scales;
    std::vector<int8_t> w8;
    std::unique_ptr<edgembed::quant::WeightArena> arena = std::make_unique<edgembed::quant::WeightArena>();
    std::unique_ptr<edgembed::quant::Linear> linear;  // after arena: destroyed first
};

Layer make_layer(DType dtype, int64_t n, int64_t k) {
    Layer l;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    l.bias.resize(n);
    for (float& b : l.bias) b = normal(rng);
    if (dtype == DType::f32) {
        l.w32.resize(n * k);
        for (float& w : l.w32) w = normal(rng);
        l.linear = edgembed::quant::make_linear(TensorView{DType::f32, {n, k}, l.w32.data(), uint64_t(n * k * 4)}, nullptr, l.bias.data(), *l.arena);
    } else {
        l.w8.resize(n * k);
        std::uniform_int_distribution<int> q(-127, 127);
        for (int8_t& w : l.w8) w = static_cast<int8_t>(q(rng));
        l.scales.assign(n, 1e-3f);
        TensorView scales{DType::f32, {n}, l.scales.data(), uint64_t(n * 4)};
        l.linear = edgembed::quant::make_linear(TensorView{DType::qc8, {n, k}, l.w8.data(), uint64_t(n * k)}, &scales, l.bias.data(), *l.arena);
    }
    return l;
}

void linear(benchmark::State& state, DType dtype) {
    const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
    // Six layers cycled, as in a model: their weights do not stay in cache between calls.
    constexpr size_t kLayers = 6;
    std::vector<Layer> layers;
    for (size_t i = 0; i < kLayers; ++i) layers.push_back(make_layer(dtype, n, k));
    size_t next = 0;
    std::vector<float> x(m * k), y(m * n);
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : x) v = normal(rng);
    edgembed::quant::LinearScratch scratch;
    scratch.threads = static_cast<size_t>(state.range(3));  // threads of the runtime's pool
    for (auto _ : state) {
        layers[next].linear->forward(x.data(), m, y.data(), nullptr, edgembed::quant::Epilogue::none, scratch);
        next = (next + 1) % kLayers;
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["OP/s"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate);
}

void shapes(benchmark::internal::Benchmark* b) {
    for (int threads : {1, 2})
        for (int m : {16, 128, 512})
            for (auto kn : std::vector<std::pair<int, int>>{{384, 384}, {384, 1536}, {1536, 384}, {768, 768}, {768, 3072}, {3072, 768}})
                b->Args({m, kn.first, kn.second, threads});
    b->ArgNames({"M", "K", "N", "threads"})->UseRealTime();
}

BENCHMARK_CAPTURE(linear, qc8, DType::qc8)->Apply(shapes);
BENCHMARK_CAPTURE(linear, f32, DType::f32)->Apply(shapes);

}  // namespace
