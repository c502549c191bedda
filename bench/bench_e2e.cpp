// End-to-end Google Benchmark: one model, inputs of exact token counts (word pieces of a real man page,
// then [CLS] ... [SEP]), encoder + pooling + normalization, per length x batch x threads.
// Run (one line): EDGEMBED_MODEL=models/all-MiniLM-L6-v2.int8.edgembed build/bench/bench_e2e
//        --benchmark_filter='e2e/L:128/B:1/T:1/' --benchmark_repetitions=5
// EDGEMBED_INT8_GEMM=<back end> compares the int8 GEMM back ends end to end.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "runtime/context.h"

namespace {

std::shared_ptr<const edgembed::Model> model() {
    static std::shared_ptr<const edgembed::Model> m = [] {
        const char* path = std::getenv("EDGEMBED_MODEL");
        return edgembed::Model::load(path ? path : "models/all-MiniLM-L6-v2.int8.edgembed");
    }();
    return m;
}

// Word pieces of real text: the man-page corpus of the shared evaluation data unless EDGEMBED_BENCH_TEXT names a file.
const std::vector<int32_t>& pieces() {
    static const std::vector<int32_t> p = [] {
        const char* path = std::getenv("EDGEMBED_BENCH_TEXT");
        std::ifstream in(path ? path : "../shared/data/linux_manpages/corpus.jsonl");
        std::string text((std::istreambuf_iterator<char>(in)), {});
        std::vector<int32_t> ids = model()->tokenizer().encode_pieces(text);
        if (ids.size() < 1024) throw std::runtime_error("benchmark text too short");
        return ids;
    }();
    return p;
}

void e2e(benchmark::State& state) {
    const int length = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
    edgembed::Context context(model());
    std::vector<std::vector<int32_t>> inputs;
    for (int b = 0; b < batch; ++b) {
        const edgembed::Tokenizer& tokenizer = model()->tokenizer();
        const size_t count = static_cast<size_t>(length) - tokenizer.template_size();
        inputs.push_back(tokenizer.wrap(pieces().data() + b * 7, count));
    }
    edgembed::EmbedOptions options;
    options.threads = static_cast<int>(state.range(2));
    options.batch_size = batch;
    std::vector<float> out(static_cast<size_t>(batch) * model()->dimension());
    for (auto _ : state) {
        context.embed_ids(inputs, options, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["tokens/s"] = benchmark::Counter(double(length) * batch * state.iterations(), benchmark::Counter::kIsRate);
}

BENCHMARK(e2e)
    ->ArgsProduct({{8, 16, 32, 64, 128, 256, 512}, {1, 8, 32}, {1, 2}})
    ->ArgNames({"L", "B", "T"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
