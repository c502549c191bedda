// Google Benchmark for every int8 GEMM back end this build and CPU have (quant/int8_gemm.h: generic, avx2,
// avx512vnni, neon, neon-dotprod, onednn), C[M, N] = A[M, K] W[N, K]^T with the weights packed once, at the
// linear-layer shapes of all-MiniLM-L6-v2 (hidden 384, FFN 1536) and BERT-base (768, 3072); and the
// setting up of each back end for one weight (int8_gemm_setup: packing, as at model load).
// The OP/s counter counts 2*M*N*K per call (the activation shift of the s8 x s8 back ends is timed too) per
// second of the benchmark thread's CPU time: every back end runs on one thread (run()'s thread budget of 1,
// which oneDNN is held to too), and on a shared machine CPU time is what the kernel got. Compare with the
// one-core peaks in docs/toolchain.md. Run:
//   taskset -c 0 build/bench/bench_int8_gemm --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "quant/int8_gemm.h"

namespace {

void int8_gemm(benchmark::State& state, const std::string& backend) {
    const size_t m = state.range(0), k = state.range(1), n = state.range(2);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
    std::vector<int8_t> w(n * k);
    for (int8_t& x : w) x = static_cast<int8_t>(s8(rng));
    std::vector<uint8_t> a(m * k);
    for (uint8_t& x : a) x = static_cast<uint8_t>(u8(rng));
    std::vector<int32_t> c(m * n);
    edgembed::quant::WeightArena arena;
    const auto gemm = edgembed::quant::make_int8_gemm_backend(backend.c_str(), w.data(), n, k, arena);
    if (gemm == nullptr) {
        state.SkipWithError("back end not available");
        return;
    }
    gemm->run(a.data(), m, c.data(), 1);  // warm-up: oneDNN builds its primitive for this M here
    for (auto _ : state) {
        gemm->run(a.data(), m, c.data(), 1);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    state.counters["OP/s"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate);
}

// Setting a back end up for one weight, as a model load does: packing (the project's kernels) or
// oneDNN's reorder, and the column sums. Each iteration packs into a fresh arena, so the time includes
// the kernel's zeroing of the new pages, as at load. Bytes/s counts the int8 weight's N*K bytes.
void int8_gemm_setup(benchmark::State& state, const std::string& backend) {
    const size_t k = state.range(0), n = state.range(1);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> s8(-128, 127);
    std::vector<int8_t> w(n * k);
    for (int8_t& x : w) x = static_cast<int8_t>(s8(rng));
    for (auto _ : state) {
        edgembed::quant::WeightArena arena;
        const auto gemm = edgembed::quant::make_int8_gemm_backend(backend.c_str(), w.data(), n, k, arena);
        benchmark::DoNotOptimize(gemm.get());
    }
    state.counters["bytes/s"] = benchmark::Counter(double(n) * k, benchmark::Counter::kIsIterationInvariantRate);
}

// Registers every back end this host has, at the MiniLM and BERT-base (K, N) of QKV/out, FFN up and down.
const bool registered = [] {
    const int8_t one = 1;
    edgembed::quant::WeightArena arena(0);
    for (const char* backend : edgembed::quant::int8_gemm_backend_names()) {
        if (edgembed::quant::make_int8_gemm_backend(backend, &one, 1, 1, arena) == nullptr) continue;
        auto* b = benchmark::RegisterBenchmark((std::string("int8_gemm/") + backend).c_str(), int8_gemm, std::string(backend));
        for (int m : {16, 128, 512})
            for (auto kn : std::vector<std::pair<int, int>>{{384, 384}, {384, 1536}, {1536, 384}, {768, 768}, {768, 3072}, {3072, 768}})
                b->Args({m, kn.first, kn.second});
        b->ArgNames({"M", "K", "N"})->Unit(benchmark::kMicrosecond);
        auto* setup = benchmark::RegisterBenchmark((std::string("int8_gemm_setup/") + backend).c_str(), int8_gemm_setup,
                                                   std::string(backend));
        for (auto kn : std::vector<std::pair<int, int>>{{768, 768}, {768, 3072}, {3072, 768}}) setup->Args({kn.first, kn.second});
        setup->ArgNames({"K", "N"})->Unit(benchmark::kMicrosecond);
    }
    return true;
}();

}  // namespace
