// One Model shared by many threads, one Context each (the documented threading model), each context
// using 1 to 4 threads of the runtime's pool: every thread's vectors must be bit-identical to a run on
// one thread. Run in the normal build (oneDNN + OpenMP) and
// under ThreadSanitizer (scripts/ci_sanitizers.sh, no oneDNN), which also reports any data race.
//
// Models: the converted all-MiniLM-L6-v2 f32 and int8 files (EDGEMBED_MODEL_DIR, default <repo>/models;
// skipped when absent, scripts/setup.sh converts them) and tiny in-memory f32 / int8 models (always run,
// cheap enough for every sanitizer and emulator). Workload: 8 threads (EDGEMBED_CONCURRENCY_THREADS) embed
// the set of 50 texts 3 times each (EDGEMBED_CONCURRENCY_ROUNDS); EDGEMBED_CONCURRENCY_TEXTS keeps only the
// first N short texts for the converted models (ThreadSanitizer and qemu runs: cross builds default to 8 texts
// and 1 round).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "runtime/context.h"
#include "runtime/model.h"
#include "tests/runtime/tiny_model_file.h"

#ifndef EDGEMBED_CONCURRENCY_DEFAULT_TEXTS
#define EDGEMBED_CONCURRENCY_DEFAULT_TEXTS 50
#endif
#ifndef EDGEMBED_CONCURRENCY_DEFAULT_ROUNDS
#define EDGEMBED_CONCURRENCY_DEFAULT_ROUNDS 3
#endif

namespace edgembed {
namespace {

int env_int(const char* name, int fallback) {
    const char* value = std::getenv(name);
    return value && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

std::string model_path(const std::string& name) {
    const char* dir = std::getenv("EDGEMBED_MODEL_DIR");
    return (std::filesystem::path(dir ? dir : EDGEMBED_SOURCE_DIR "/models") / name).string();
}

// 50 texts: 47 of 0 to ~60 tokens and three of ~300 (truncated at the converted models' 256), with
// punctuation, accents, CJK and emoji, in an order that mixes lengths inside every batch.
std::vector<std::string> texts() {
    static const char* const words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dogs,", "while",
                                        "embedding", "models", "compress", "meaning", "into", "vectors.", "Caf\xC3\xA9",
                                        "na\xC3\xAFve", "\xE4\xB8\xAD\xE6\x96\x87", "r\xC3\xA9sum\xC3\xA9", "\xF0\x9F\x98\x80",
                                        "(parentheses)", "numbers:", "3.14159", "unbelievably"};
    constexpr size_t n_words = sizeof words / sizeof words[0];
    std::vector<std::string> out = {"", " ", "a", "Hello, world!"};
    uint32_t state = 7;
    for (int i = 0; out.size() < 50; ++i) {
        state = state * 1664525u + 1013904223u;
        const size_t length = (i % 15 == 14) ? 200 + (state >> 24) % 60 : 1 + (state >> 24) % 30;
        std::string text;
        for (size_t w = 0; w < length; ++w) {
            state = state * 1664525u + 1013904223u;
            if (w) text += ' ';
            text += words[(state >> 16) % n_words];
        }
        out.push_back(std::move(text));
    }
    return out;
}

void expect_threads_match_one_thread(const std::shared_ptr<const Model>& model, std::vector<std::string> set) {
    const int n_threads = env_int("EDGEMBED_CONCURRENCY_THREADS", 8);
    const int n_rounds = env_int("EDGEMBED_CONCURRENCY_ROUNDS", EDGEMBED_CONCURRENCY_DEFAULT_ROUNDS);
    const std::vector<std::string_view> views(set.begin(), set.end());
    const size_t dim = static_cast<size_t>(model->dimension());
    EmbedOptions one_thread;
    one_thread.threads = 1;
    std::vector<float> reference(set.size() * dim);
    Context(model).embed(views, one_thread, reference.data());

    std::atomic<int> mismatches{0};
    std::vector<std::string> errors(static_cast<size_t>(n_threads));
    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t) {
        threads.emplace_back([&, t] {
            try {
                Context context(model);
                EmbedOptions options;
                options.threads = 1 + t % 4;  // the pool's threads this context uses
                std::vector<float> out(set.size() * dim);
                for (int r = 0; r < n_rounds; ++r) {
                    std::fill(out.begin(), out.end(), -1.0f);
                    context.embed(views, options, out.data());
                    for (size_t i = 0; i < set.size(); ++i)
                        if (std::memcmp(out.data() + i * dim, reference.data() + i * dim, dim * sizeof(float)) != 0)
                            ++mismatches;
                }
            } catch (const std::exception& e) {
                errors[static_cast<size_t>(t)] = e.what();
            }
        });
    }
    for (std::thread& t : threads) t.join();
    for (int t = 0; t < n_threads; ++t) EXPECT_EQ(errors[static_cast<size_t>(t)], "") << "thread " << t;
    EXPECT_EQ(mismatches.load(), 0) << "vectors (of " << n_threads * n_rounds * set.size() << ", " << n_threads
                                    << " threads x " << n_rounds << " rounds) differ from the run on one thread";
}

class ConvertedModel : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertedModel, ThreadsSharingItMatchOneThreadBitForBit) {
    const std::string path = model_path(std::string("all-MiniLM-L6-v2.") + GetParam() + ".edgembed");
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found (scripts/setup.sh converts it)";
    std::vector<std::string> set = texts();
    const size_t keep = static_cast<size_t>(env_int("EDGEMBED_CONCURRENCY_TEXTS", EDGEMBED_CONCURRENCY_DEFAULT_TEXTS));
    if (keep < set.size()) {  // the first `keep` short texts
        std::vector<std::string> shorter;
        for (const std::string& t : set)
            if (shorter.size() < keep && t.size() < 120) shorter.push_back(t);
        set = std::move(shorter);
    }
    expect_threads_match_one_thread(Model::load(path), set);
}

INSTANTIATE_TEST_SUITE_P(MiniLM, ConvertedModel, ::testing::Values("f32", "int8"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

class TinyModel : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyModel, ThreadsSharingItMatchOneThreadBitForBit) {
    testing::TinyModelSpec spec;
    spec.weights = GetParam();
    spec.hidden = 32;
    spec.heads = 4;
    spec.ffn = 64;
    spec.layers = 2;
    const std::vector<uint8_t> bytes = testing::tiny_model_file(spec);
    expect_threads_match_one_thread(Model::load_from_memory(bytes.data(), bytes.size()), texts());
}

INSTANTIATE_TEST_SUITE_P(InMemory, TinyModel, ::testing::Values("f32", "f16", "int8"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace edgembed
