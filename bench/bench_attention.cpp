// Google Benchmark for attention's two products per (text, head), f32 (quant/f32_gemm.h) against bf16
// (quant/attention_bf16.h), at the model's sequence lengths and head sizes, with FLOP/s counters.
// Run: build/bench/bench_attention
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quant/attention_bf16.h"
#include "quant/f32_gemm.h"

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
    if (bf16 && !edgembed::quant::bf16_attention_available()) {
        state.SkipWithError("no AVX512-BF16");
        return;
    }
    for (auto _ : state) {
        if (scores_product) {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
            if (bf16) edgembed::quant::bf16_attention_scores(q.data(), k.data(), h, length, d, s.data(), length, scratch.data());
#endif
            if (!bf16) edgembed::quant::f32_gemm(q.data(), h, k.data(), h, true, 1.0f, s.data(), length, length, length, d);
        } else {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
            if (bf16) edgembed::quant::bf16_attention_context(s.data(), length, v.data(), h, length, d, out.data(), h, scratch.data());
#endif
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

}  // namespace
