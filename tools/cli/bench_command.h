// `edgembed bench`: latency per sequence length x batch x threads on inputs of exact token counts cut
// from real text, with warm-up and repeated runs; median / p10 / p90, tokens/s, texts/s, model load time
// and peak RSS; a mixed-length mode (lengths drawn from the text's own documents) compares the packed
// batch with the same batch padded to its longest text.
#pragma once

#include <string>
#include <vector>

namespace edgembed::cli {

struct BenchOptions {
    std::string model_path;
    std::string text_path;          // real text to cut inputs from (plain text or JSON lines)
    std::vector<int> lengths{8, 16, 32, 64, 128, 256, 512};
    std::vector<int> batches{1, 8, 32};
    std::vector<int> threads{1, 2};
    int repeats = 10;               // timed runs per configuration (after one warm-up run)
    double min_seconds = 0.5;       // keep repeating until at least this much time is measured
    bool mixed = false;             // also run the mixed-length batch comparison
    std::string json_path;          // write results as JSON here ("" = none)
};

// Prints a markdown table to stdout; returns the process exit code.
int run_bench(const BenchOptions& options);

}  // namespace edgembed::cli
