// Google Benchmark for attention's two products per (text, head), f32 (quant/f32_gemm.h) against bf16
// (quant/attention_bf16.h), at the model's sequence lengths and head sizes, with FLOP/s counters; and one
// whole head, the L x L way (scores, softmax per row, context) against the tiled kernel (simd
// f32_attention, no L x L matrix); and one call of the tiled kernel, f32 against bf16. bf16 runs vdpbf16ps on
// CPUs with AVX512-BF16, else its exact emulation (EDGEMBED_FORCE_ISA=avx2 shows it).
// Run: build/bench/bench_attention
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quant/attention_bf16.h"
#include "quant/f32_gemm.h"
#include "simd/kernels.h"

namespace {

std::vector<float> random_vector(size_t n) {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

// One head of a text: Q, K, V rows at the stride of a hidden row (12 heads).
void attention(benchmark::State& state, bool bf16, bool scores_product) {
    const size_t length = static_cast<size_t>(state.range(0)), d = static_cast<size_t>(state.range(1)), h = 12 * d;
    const std::vector<float> q = random_vector(length * h), k = random_vector(length * h), v = random_vector(length * h);
    std::vector<float> s = random_vector(length * length), out(length * h);
    std::vector<uint8_t> scratch(edgembed::quant::bf16_attention_scratch_bytes(length, d));
    for (auto _ : state) {
        if (scores_product) {
            if (bf16) edgembed::quant::bf16_attention_scores(q.data(), k.data(), h, length, d, s.data(), length, scratch.data());
            if (!bf16) edgembed::quant::f32_gemm(q.data(), h, k.data(), h, true, 1.0f, s.data(), length, length, length, d);
        } else {
            if (bf16) edgembed::quant::bf16_attention_context(s.data(), length, v.data(), h, length, d, out.data(), h, scratch.data());
            if (!bf16) edgembed::quant::f32_gemm(s.data(), length, v.data(), h, false, 1.0f, out.data(), h, length, d, length);
        }
        benchmark::DoNotOptimize(s.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(length * length * d) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

void args(benchmark::internal::Benchmark* b) {
    for (int length : {32, 128, 512})
        for (int d : {32, 64}) b->Args({length, d});
    b->ArgNames({"L", "d"});
}

BENCHMARK_CAPTURE(attention, scores_f32, false, true)->Apply(args);
BENCHMARK_CAPTURE(attention, scores_bf16, true, true)->Apply(args);
BENCHMARK_CAPTURE(attention, context_f32, false, false)->Apply(args);
BENCHMARK_CAPTURE(attention, context_bf16, true, false)->Apply(args);

// One whole head (every query row, all keys): L x L scores through f32_gemm and f32_softmax, or tiled.
void head(benchmark::State& state, bool tiled) {
    const size_t length = static_cast<size_t>(state.range(0)), d = static_cast<size_t>(state.range(1)), h = 12 * d;
    const std::vector<float> q = random_vector(length * h), k = random_vector(length * h), v = random_vector(length * h);
    std::vector<float> s(tiled ? 0 : length * length), out(length * h);
    const edgembed::simd::Kernels& kernels = edgembed::simd::kernels();
    const float scale = 1.0f / 8.0f;
    for (auto _ : state) {
        if (tiled) {
            kernels.f32_attention(q.data(), h, k.data(), v.data(), h, nullptr, scale, 0, length, length, length, length, d, 1,
                                  out.data(), h);
        } else {
            edgembed::quant::f32_gemm(q.data(), h, k.data(), h, true, 1.0f, s.data(), length, length, length, d);
            for (size_t row = 0; row < length; ++row)
                kernels.f32_softmax(s.data() + row * length, nullptr, scale, s.data() + row * length, length);
            edgembed::quant::f32_gemm(s.data(), length, v.data(), h, false, 1.0f, out.data(), h, length, d, length);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(4.0 * static_cast<double>(length * length * d) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

void head_args(benchmark::internal::Benchmark* b) {
    for (int length : {128, 512, 2048}) b->Args({length, 64});
    b->ArgNames({"L", "d"});
}

BENCHMARK_CAPTURE(head, lxl_f32, false)->Apply(head_args);
BENCHMARK_CAPTURE(head, tiled_f32, true)->Apply(head_args);

// One call of the tiled attention as the encoder makes it: 256 query rows in the middle of a text of 2048
// or 8192 tokens, all keys, d = 64; f32 (simd f32_attention) against bf16 (quant::bf16_tiled_attention, the int8
// models' attention).
void tiled_call(benchmark::State& state, bool bf16) {
    const size_t rows = static_cast<size_t>(state.range(0)), keys = static_cast<size_t>(state.range(1));
    const size_t d = static_cast<size_t>(state.range(2)), h = 12 * d, first = (keys - rows) / 2;
    const std::vector<float> q = random_vector(keys * h), k = random_vector(keys * h), v = random_vector(keys * h);
    std::vector<float> out(rows * h);
    const auto attend = bf16 ? &edgembed::quant::bf16_tiled_attention : edgembed::simd::kernels().f32_attention;
    for (auto _ : state) {
        attend(q.data() + first * h, h, k.data(), v.data(), h, nullptr, 0.125f, first, rows, keys, keys, keys, d, 1, out.data(), h);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(4.0 * static_cast<double>(rows * keys * d) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

void tiled_args(benchmark::internal::Benchmark* b) {
    for (int keys : {2048, 8192}) b->Args({256, keys, 64});
    b->Args({512, 8192, 64});
    b->ArgNames({"rows", "keys", "d"});
}

BENCHMARK_CAPTURE(tiled_call, f32, false)->Apply(tiled_args);
BENCHMARK_CAPTURE(tiled_call, bf16, true)->Apply(tiled_args);

}  // namespace
