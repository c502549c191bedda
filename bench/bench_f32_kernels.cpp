// Google Benchmark for every simd/ kernel (kernel_list.inc) on every available ISA, at the model's real
// shapes: registered from the kernel list, so a kernel without a bench_case() here does not compile.
// Run: build/bench/bench_kernels --benchmark_counters_tabular=true [--benchmark_filter=f32_softmax__avx2]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "simd/kernels.h"

namespace {

using edgembed::simd::Isa;
using edgembed::simd::Kernels;
using edgembed::simd::KernelTag;

std::vector<float> random_vector(size_t n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

size_t arg(const benchmark::State& state, int i) { return static_cast<size_t>(state.range(i)); }

void set_bytes_per_second(benchmark::State& state, double bytes_per_call) {
    state.counters["bytes/s"] = benchmark::Counter(bytes_per_call * static_cast<double>(state.iterations()),
                                                   benchmark::Counter::kIsRate);
}

void set_flops(benchmark::State& state, double flops_per_call) {
    state.counters["FLOP/s"] = benchmark::Counter(flops_per_call * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

// One benchmark per kernel: its function and the shapes it runs at (one Args() each), or, for a kernel
// with nothing to time, the reason.
struct BenchCase {
    void (*run)(benchmark::State&, const Kernels*) = nullptr;
    std::vector<std::vector<int64_t>> shapes;
    const char* not_timed = nullptr;
};

// Softmax rows are sequence lengths.
BenchCase bench_case(KernelTag<&Kernels::f32_softmax>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_softmax(x.data(), nullptr, 0.17677669f, y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{16}, {128}, {512}}};
}

// LayerNorm rows are the hidden size.
BenchCase bench_case(KernelTag<&Kernels::f32_layernorm>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), g = random_vector(n), b = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_layernorm(x.data(), g.data(), b.data(), 1e-12f, y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 16.0 * n);
            },
            {{384}, {768}, {1024}}};
}

// RMSNorm rows: the hidden sizes, and Qwen3's head_dim (its QK norms).
BenchCase bench_case(KernelTag<&Kernels::f32_rmsnorm>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), g = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_rmsnorm(x.data(), g.data(), 1e-6f, y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 12.0 * n);
            },
            {{128}, {1024}}};
}

// SiLU over one SwiGLU row (Qwen3-0.6B's 3072) and a block of 128 tokens.
BenchCase bench_case(KernelTag<&Kernels::f32_silu>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_silu(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{3072}, {3072 * 128}}};
}

// GELU's tanh form over one GeGLU row (EmbeddingGemma-300m's 1152) and a block of 128 tokens.
BenchCase bench_case(KernelTag<&Kernels::f32_gelu_tanh>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_gelu_tanh(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{1152}, {1152 * 128}}};
}

// GELU over one FFN row and over a whole FFN block of 128 tokens.
BenchCase bench_case(KernelTag<&Kernels::f32_gelu>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_gelu(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{1536}, {1536 * 128}}};
}

// The elementwise kernels over a hidden row and an FFN row (embedding sums, pooling, normalization).
BenchCase bench_case(KernelTag<&Kernels::f32_add>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> a = random_vector(n), b = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_add(a.data(), b.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 12.0 * n);
            },
            {{384}, {1536}}};
}

BenchCase bench_case(KernelTag<&Kernels::f32_max>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y = random_vector(n);
                for (auto _ : state) {
                    k->f32_max(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 12.0 * n);
            },
            {{384}, {1536}}};
}

BenchCase bench_case(KernelTag<&Kernels::f32_sum_squares>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n);
                for (auto _ : state) benchmark::DoNotOptimize(k->f32_sum_squares(x.data(), n));
                set_bytes_per_second(state, 4.0 * n);
                set_flops(state, 2.0 * n);
            },
            {{384}, {1536}}};
}

BenchCase bench_case(KernelTag<&Kernels::f32_scale>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_scale(x.data(), 0.5f, y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{384}, {1536}}};
}

BenchCase bench_case(KernelTag<&Kernels::f32_round_bf16>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n), y(n);
                for (auto _ : state) {
                    k->f32_round_bf16(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 8.0 * n);
            },
            {{128}, {512}}};
}

// 8 outlier channels of an int8 layer with n outputs, for one token row and for a block of 8 (quant/linear.cpp),
// w's rows n apart (3072: 12 KB, a multiple of 4 KB, so that they share L1 sets) or as Linear pads them.
BenchCase bench_case(KernelTag<&Kernels::f32_add_products_f64>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0), rows = arg(state, 1), ldw = arg(state, 2), channels = 8;
                std::vector<float> x = random_vector(rows * channels), w = random_vector(channels * ldw),
                                   y = random_vector(rows * n);
                for (auto _ : state) {
                    k->f32_add_products_f64(x.data(), rows, channels, w.data(), ldw, y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 4.0 * (rows * channels + channels * n + 2 * rows * n));
                set_flops(state, 2.0 * rows * channels * n);
            },
            {{768, 1, 768}, {768, 8, 768}, {3072, 8, 3072}, {3072, 8, 3088}}};
}

BenchCase bench_case(KernelTag<&Kernels::f32_quantize_qu8>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<float> x = random_vector(n);
                std::vector<uint8_t> q(n);
                int32_t zero_point = 0;
                for (auto _ : state) {
                    benchmark::DoNotOptimize(k->f32_quantize_qu8(x.data(), n, q.data(), &zero_point));
                    benchmark::DoNotOptimize(q.data());
                }
                set_bytes_per_second(state, 5.0 * n);
            },
            {{384}, {768}, {1536}}};
}

// One output row of an int8 linear layer: s32 accumulators -> f32 with scales, bias and residual.
BenchCase bench_case(KernelTag<&Kernels::s32_dequantize>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<int32_t> acc(n), col_sums(n);
                for (size_t i = 0; i < n; ++i) {
                    acc[i] = static_cast<int32_t>(i * 2654435761u >> 12) - (1 << 19);
                    col_sums[i] = static_cast<int32_t>(i % 977) - 488;
                }
                std::vector<float> scales = random_vector(n), bias = random_vector(n), residual = random_vector(n), y(n);
                for (auto _ : state) {
                    k->s32_dequantize(acc.data(), 3, col_sums.data(), 0.01f, scales.data(), bias.data(), residual.data(),
                                      y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 24.0 * n);
            },
            {{384}, {1536}}};
}

// f16 embedding rows widened as they are read.
BenchCase bench_case(KernelTag<&Kernels::f16_to_f32>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0);
                std::vector<uint16_t> x(n);
                for (size_t i = 0; i < n; ++i) x[i] = static_cast<uint16_t>(0x3C00 + (i % 1024));
                std::vector<float> y(n);
                for (auto _ : state) {
                    k->f16_to_f32(x.data(), y.data(), n);
                    benchmark::DoNotOptimize(y.data());
                }
                set_bytes_per_second(state, 6.0 * n);
            },
            {{384}, {1536}}};
}

// GEMM shapes: {m, n, k}.
template <bool NT>
void gemm(benchmark::State& state, const Kernels* k) {
    const size_t m = arg(state, 0), n = arg(state, 1), kk = arg(state, 2);
    std::vector<float> a = random_vector(m * kk), b = random_vector(n * kk), c(m * n);
    const size_t ldb = NT ? kk : n;
    for (auto _ : state) {
        (NT ? k->f32_gemm_nt : k->f32_gemm_nn)(a.data(), kk, b.data(), ldb, 1.0f, 0, c.data(), n, m, n, kk);
        benchmark::DoNotOptimize(c.data());
    }
    set_flops(state, 2.0 * m * n * kk);
}

// Attention scores Q K^T of one head: [L, d] x [L, d]^T, d = 32 (MiniLM) or 64 (BERT-base).
BenchCase bench_case(KernelTag<&Kernels::f32_gemm_nt>) { return {gemm<true>, {{128, 128, 32}, {128, 128, 64}, {512, 512, 32}}}; }

// Attention output P V of one head: [L, L] x [L, d].
BenchCase bench_case(KernelTag<&Kernels::f32_gemm_nn>) { return {gemm<false>, {{128, 32, 128}, {128, 64, 128}, {512, 32, 512}}}; }

BenchCase bench_case(KernelTag<&Kernels::f32_packed_panel_width>) {
    return {nullptr, {}, "a constant of the ISA: nothing to time"};
}

// Packing a linear layer's weight at load: {n, k} = [out, in].
BenchCase bench_case(KernelTag<&Kernels::f32_pack_panels>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t n = arg(state, 0), kk = arg(state, 1), width = k->f32_packed_panel_width();
                std::vector<float> w = random_vector(n * kk), packed((n + width - 1) / width * width * kk);
                for (auto _ : state) {
                    k->f32_pack_panels(w.data(), n, kk, packed.data());
                    benchmark::DoNotOptimize(packed.data());
                }
                set_bytes_per_second(state, 8.0 * n * kk);
            },
            {{384, 384}, {1536, 384}, {384, 1536}}};
}

// The f32 linear layers of a 128-token batch, {m, n, k}: MiniLM's attention projection, FFN up and down.
BenchCase bench_case(KernelTag<&Kernels::f32_gemm_packed>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t m = arg(state, 0), n = arg(state, 1), kk = arg(state, 2), width = k->f32_packed_panel_width();
                std::vector<float> a = random_vector(m * kk), w = random_vector(n * kk), bias = random_vector(n), c(m * n);
                std::vector<float> packed((n + width - 1) / width * width * kk);
                k->f32_pack_panels(w.data(), n, kk, packed.data());
                for (auto _ : state) {
                    k->f32_gemm_packed(a.data(), kk, packed.data(), bias.data(), 0, c.data(), n, m, n, kk);
                    benchmark::DoNotOptimize(c.data());
                }
                set_flops(state, 2.0 * m * n * kk);
            },
            {{128, 384, 384}, {128, 1536, 384}, {128, 384, 1536}}};
}

// A kernel of the list without a bench_case() above falls to this declaration, which the list's
// static_assert below reports.
struct MissingBenchCase {};
template <auto Kernel>
MissingBenchCase bench_case(KernelTag<Kernel>);

// One key / value head of a text ({L, window radius (0: all keys), d, query heads}), every query row in one
// call: the tiled attention at BERT lengths, long texts, ModernBERT's local layers (radius 64), and Qwen3's
// grouped heads (d 128, two query heads per K / V head) against one.
template <auto Kernel>
BenchCase attention_case(std::vector<std::vector<int64_t>> shapes) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t length = arg(state, 0), radius = arg(state, 1), d = arg(state, 2), heads = arg(state, 3);
                const size_t ld = 12 * d, reach = radius == 0 ? length : radius;
                std::vector<float> q = random_vector(length * ld), kk = random_vector(length * ld), v = random_vector(length * ld);
                std::vector<float> out(length * ld);
                for (auto _ : state) {
                    (k->*Kernel)(q.data(), ld, kk.data(), v.data(), ld, nullptr, 0.125f, 0, length, length, reach, reach, d,
                                 heads, out.data(), ld);
                    benchmark::DoNotOptimize(out.data());
                }
                const double pairs = static_cast<double>(length) * static_cast<double>(std::min(length, 2 * reach + 1));
                set_flops(state, 4.0 * pairs * static_cast<double>(d * heads));
            },
            std::move(shapes)};
}

BenchCase bench_case(KernelTag<&Kernels::f32_attention>) {
    return attention_case<&Kernels::f32_attention>({{128, 0, 64, 1}, {512, 0, 64, 1}, {2048, 0, 64, 1}, {2048, 64, 64, 1},
                                                    {8192, 64, 64, 1}, {2048, 0, 128, 1}, {2048, 0, 128, 2}});
}

// This table's bf16_attention: the exact emulation on every ISA (vdpbf16ps: bench_attention's tiled_call/bf16).
BenchCase bench_case(KernelTag<&Kernels::bf16_attention>) {
    return attention_case<&Kernels::bf16_attention>({{512, 0, 64, 1}, {2048, 0, 64, 1}, {8192, 64, 64, 1}, {2048, 0, 128, 2}});
}

// Rotating one head of q (d = 64).
BenchCase bench_case(KernelTag<&Kernels::f32_rope>) {
    return {[](benchmark::State& state, const Kernels* k) {
                const size_t half = arg(state, 0);
                std::vector<float> x = random_vector(2 * half), c = random_vector(half), s = random_vector(half);
                for (auto _ : state) {
                    k->f32_rope(x.data(), c.data(), s.data(), half);
                    benchmark::DoNotOptimize(x.data());
                }
                set_bytes_per_second(state, 24.0 * half);
            },
            {{32}, {64}}};
}

void register_case(const std::string& name, const BenchCase& c, const Kernels* k) {
    if (c.run == nullptr) return;  // c.not_timed says why
    benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), c.run, k);
    for (const std::vector<int64_t>& shape : c.shapes) b->Args(shape);
}

int register_all() {
    for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64}) {
        const Kernels* k = edgembed::simd::kernels_for(isa);
        if (k == nullptr) continue;
        const std::string suffix = std::string("__") + edgembed::simd::isa_name(isa);
#define EDGEMBED_KERNEL(name, ret, params)                                                                          \
    static_assert(!std::is_same_v<decltype(bench_case(KernelTag<&Kernels::name>{})), MissingBenchCase>,            \
                  "simd/kernel_list.inc lists " #name " but it has no benchmark: write bench_case(KernelTag<&Kernels::" \
                  #name ">) in bench/bench_f32_kernels.cpp");                                                       \
    register_case(#name + suffix, bench_case(KernelTag<&Kernels::name>{}), k);
#include "simd/kernel_list.inc"
#undef EDGEMBED_KERNEL
    }
    return 0;
}

const int registered = register_all();

}  // namespace
