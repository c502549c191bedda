// Google Benchmark for the f32 kernels on every available ISA, at the model's real row sizes.
// Run: build/bench/bench_kernels --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "simd/kernels.h"

namespace {

using edgembed::simd::Isa;
using edgembed::simd::Kernels;

std::vector<float> random_vector(size_t n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

void softmax(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<float> x = random_vector(n), y(n);
    for (auto _ : state) {
        k->f32_softmax(x.data(), nullptr, 0.17677669f, y.data(), n);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["bytes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n * 8), benchmark::Counter::kIsRate);
}

void layernorm(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<float> x = random_vector(n), g = random_vector(n), b = random_vector(n), y(n);
    for (auto _ : state) {
        k->f32_layernorm(x.data(), g.data(), b.data(), 1e-12f, y.data(), n);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["bytes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n * 16), benchmark::Counter::kIsRate);
}

void gelu(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<float> x = random_vector(n), y(n);
    for (auto _ : state) {
        k->f32_gelu(x.data(), y.data(), n);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["elements/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

int register_all() {
    for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64}) {
        const Kernels* k = edgembed::simd::kernels_for(isa);
        if (k == nullptr) continue;
        const std::string suffix = std::string("__") + edgembed::simd::isa_name(isa);
        // Softmax rows are sequence lengths; layernorm rows the hidden size; GELU a whole FFN block.
        benchmark::RegisterBenchmark(("f32_softmax" + suffix).c_str(), softmax, k)->Arg(16)->Arg(128)->Arg(512);
        benchmark::RegisterBenchmark(("f32_layernorm" + suffix).c_str(), layernorm, k)->Arg(384)->Arg(768);
        benchmark::RegisterBenchmark(("f32_gelu" + suffix).c_str(), gelu, k)->Arg(1536 * 128);
    }
    return 0;
}

const int registered = register_all();

}  // namespace
