// Google Benchmark for every simd/ kernel (kernel_list.inc) on every available ISA, at the model's real
// row sizes.
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

void elementwise(benchmark::State& state, const Kernels* k, int which) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<float> a = random_vector(n), b = random_vector(n), y(n);
    for (auto _ : state) {
        switch (which) {
            case 0: k->f32_add(a.data(), b.data(), y.data(), n); break;
            case 1: k->f32_max(a.data(), y.data(), n); break;
            case 2: k->f32_scale(a.data(), 0.5f, y.data(), n); break;
            default: benchmark::DoNotOptimize(k->f32_sum_squares(a.data(), n)); break;
        }
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["elements/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

// One token row per call, as the int8 linear layers quantize their input.
void quantize_qu8(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<float> x = random_vector(n);
    std::vector<uint8_t> q(n);
    int32_t zero_point = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(k->f32_quantize_qu8(x.data(), n, q.data(), &zero_point));
        benchmark::DoNotOptimize(q.data());
    }
    state.counters["elements/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

// One output row of an int8 linear layer: s32 accumulators -> f32 with scales, bias and residual.
void dequantize_s32(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<int32_t> acc(n), col_sums(n);
    for (size_t i = 0; i < n; ++i) {
        acc[i] = static_cast<int32_t>(i * 2654435761u >> 12) - (1 << 19);
        col_sums[i] = static_cast<int32_t>(i % 977) - 488;
    }
    std::vector<float> scales = random_vector(n), bias = random_vector(n), residual = random_vector(n), y(n);
    for (auto _ : state) {
        k->s32_dequantize(acc.data(), 3, col_sums.data(), 0.01f, scales.data(), bias.data(), residual.data(), y.data(), n);
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["elements/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

// f16 embedding rows widened as they are read.
void f16_to_f32(benchmark::State& state, const Kernels* k) {
    const size_t n = static_cast<size_t>(state.range(0));
    std::vector<uint16_t> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = static_cast<uint16_t>(0x3C00 + (i % 1024));
    std::vector<float> y(n);
    for (auto _ : state) {
        k->f16_to_f32(x.data(), y.data(), n);
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
        const char* elementwise_names[] = {"f32_add", "f32_max", "f32_scale", "f32_sum_squares"};
        for (int which = 0; which < 4; ++which)
            benchmark::RegisterBenchmark((elementwise_names[which] + suffix).c_str(), elementwise, k, which)->Arg(384)->Arg(1536);
        benchmark::RegisterBenchmark(("f32_quantize_qu8" + suffix).c_str(), quantize_qu8, k)->Arg(384)->Arg(768)->Arg(1536);
        benchmark::RegisterBenchmark(("s32_dequantize" + suffix).c_str(), dequantize_s32, k)->Arg(384)->Arg(1536);
        benchmark::RegisterBenchmark(("f16_to_f32" + suffix).c_str(), f16_to_f32, k)->Arg(384)->Arg(1536);
    }
    return 0;
}

const int registered = register_all();

}  // namespace
