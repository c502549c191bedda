// Google Benchmark for the runtime's thread pool (base/thread_pool.h): the cost of one parallel_for
// (post, wake or find the workers, take the chunks, wait for them) over `chunks` chunks of a small fixed
// amount of work, at 1 and 2 threads, calls back to back (workers still spinning) and with a pause
// between calls (workers asleep). Run: build/bench/bench_thread_pool
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/thread_pool.h"

namespace {

// About a microsecond of arithmetic per item.
float work(size_t item) {
    float x = static_cast<float>(item);
    for (int i = 0; i < 300; ++i) x = x * 0.999f + 1.0f;
    return x;
}

void parallel_loop(benchmark::State& state) {
    const size_t threads = static_cast<size_t>(state.range(0)), items = static_cast<size_t>(state.range(1));
    const bool pause = state.range(2) != 0;
    std::atomic<float> sink{0.0f};
    for (auto _ : state) {
        edgembed::parallel_for(threads, items, 1, [&](size_t begin, size_t end, size_t) {
            float sum = 0.0f;
            for (size_t i = begin; i < end; ++i) sum += work(i);
            sink.store(sum, std::memory_order_relaxed);
        });
        if (pause) {  // long enough for the workers to fall asleep
            state.PauseTiming();
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            state.ResumeTiming();
        }
    }
    state.counters["items/s"] = benchmark::Counter(static_cast<double>(items), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(parallel_loop)
    ->ArgNames({"threads", "items", "asleep"})
    ->ArgsProduct({{1, 2}, {2, 8, 64}, {0, 1}})
    ->UseRealTime();

}  // namespace
