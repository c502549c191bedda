#include "tools/cli/bench_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "base/error.h"
#include "runtime/context.h"
#include "simd/isa.h"
#include "tools/cli/peak_memory.h"

namespace edgembed::cli {

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const double at = p * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(at);
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (values[hi] - values[lo]) * (at - static_cast<double>(lo));
}

// The text's documents (JSON lines with "text", or one document per blank-line-separated block).
std::vector<std::string> read_documents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Status::file_not_found, "cannot open benchmark text '" + path + "' (use --text FILE)");
    std::vector<std::string> docs;
    std::string line, block;
    while (std::getline(in, line)) {
        if (!line.empty() && line.front() == '{') {
            try {
                const nlohmann::json j = nlohmann::json::parse(line);
                if (j.contains("text") && j["text"].is_string()) {
                    docs.push_back(j["text"].get<std::string>());
                    continue;
                }
            } catch (const nlohmann::json::exception&) {
            }
        }
        if (line.empty()) {
            if (!block.empty()) docs.push_back(std::move(block));
            block.clear();
        } else {
            block += line + "\n";
        }
    }
    if (!block.empty()) docs.push_back(std::move(block));
    return docs;
}

struct Timing {
    std::vector<double> ms;
    size_t tokens = 0, texts = 0;
};

Timing time_runs(Context& context, const std::vector<std::vector<int32_t>>& inputs, const EmbedOptions& options,
                 int repeats, double min_seconds) {
    std::vector<float> out(inputs.size() * static_cast<size_t>(context.model().dimension()));
    context.embed_ids(inputs, options, out.data());  // warm-up: grows scratch, creates primitives
    Timing t;
    double total = 0.0;
    for (int r = 0; r < repeats || total < min_seconds * 1000.0; ++r) {
        const auto start = Clock::now();
        const EmbedStats s = context.embed_ids(inputs, options, out.data());
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        t.ms.push_back(ms);
        total += ms;
        t.tokens = s.tokens;
        t.texts = s.texts;
        if (r > 10000) break;
    }
    return t;
}

nlohmann::json summarize(const Timing& t) {
    const double median = percentile(t.ms, 0.5);
    return {{"median_ms", median},
            {"p10_ms", percentile(t.ms, 0.1)},
            {"p90_ms", percentile(t.ms, 0.9)},
            {"runs", t.ms.size()},
            {"tokens", t.tokens},
            {"tokens_per_s", static_cast<double>(t.tokens) / (median / 1000.0)},
            {"texts_per_s", static_cast<double>(t.texts) / (median / 1000.0)}};
}

}  // namespace

int run_bench(const BenchOptions& o) {
    const auto load_start = Clock::now();
    std::shared_ptr<const Model> model = Model::load(o.model_path);
    Context context(model);
    const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
    const ModelConfig& c = model->config();

    const std::vector<std::string> docs = read_documents(o.text_path);
    std::vector<int32_t> pieces;
    std::vector<size_t> doc_lengths;
    for (const std::string& d : docs) {
        const std::vector<int32_t> p = model->tokenizer().encode_pieces(d);
        pieces.insert(pieces.end(), p.begin(), p.end());
        doc_lengths.push_back(p.size() + 2);
    }
    const int longest = *std::max_element(o.lengths.begin(), o.lengths.end());
    const int widest = *std::max_element(o.batches.begin(), o.batches.end());
    if (longest > model->encoder().max_tokens())
        throw Error(Status::invalid_argument, "length " + std::to_string(longest) + " exceeds the model's " +
                                                  std::to_string(model->encoder().max_tokens()) + " positions");
    if (pieces.size() < static_cast<size_t>(longest) * widest)
        throw Error(Status::invalid_argument, "benchmark text has too few tokens for the largest batch");

    // Input b of a configuration: the template around `length - template` consecutive pieces starting at a
    // different place per text.
    const Tokenizer& tokenizer = model->tokenizer();
    const int specials = static_cast<int>(tokenizer.template_size());
    auto make_inputs = [&](int length, int batch) {
        std::vector<std::vector<int32_t>> inputs;
        const size_t count = static_cast<size_t>(std::max(length - specials, 0));
        for (int b = 0; b < batch; ++b) inputs.push_back(tokenizer.wrap(pieces.data() + static_cast<size_t>(b) * count, count));
        return inputs;
    };

    nlohmann::json results = nlohmann::json::array();
    std::printf("edgembed bench: %s (%s, %s weights), isa %s, load %.1f ms\n\n", o.model_path.c_str(),
                c.architecture.c_str(), c.weight_dtype.c_str(), simd::isa_name(simd::active_isa()), load_ms);
    std::printf("| threads | batch | length | median ms | p10 ms | p90 ms | tokens/s | texts/s |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int threads : o.threads)
        for (int batch : o.batches)
            for (int length : o.lengths) {
                EmbedOptions options;
                options.threads = threads;
                options.batch_size = batch;
                const nlohmann::json s = summarize(time_runs(context, make_inputs(length, batch), options, o.repeats, o.min_seconds));
                std::printf("| %d | %d | %d | %.3f | %.3f | %.3f | %.0f | %.1f |\n", threads, batch, length,
                            s["median_ms"].get<double>(), s["p10_ms"].get<double>(), s["p90_ms"].get<double>(),
                            s["tokens_per_s"].get<double>(), s["texts_per_s"].get<double>());
                std::fflush(stdout);
                nlohmann::json row = s;
                row["threads"] = threads;
                row["batch"] = batch;
                row["length"] = length;
                results.push_back(row);
            }

    nlohmann::json mixed;
    if (o.mixed) {
        // 32 texts whose lengths are drawn (seeded) from the text's own documents, capped at the model's
        // default max length: packed as edgembed runs them vs every text padded to the longest.
        std::mt19937 rng(20261127);
        std::uniform_int_distribution<size_t> pick(0, doc_lengths.size() - 1);
        const int cap = c.max_seq_length;
        std::vector<int> lengths;
        for (int i = 0; i < 32; ++i) lengths.push_back(std::max(3, std::min(cap, static_cast<int>(doc_lengths[pick(rng)]))));
        const int pad_to = *std::max_element(lengths.begin(), lengths.end());
        std::vector<std::vector<int32_t>> packed, padded;
        for (size_t i = 0; i < lengths.size(); ++i) {
            std::vector<int32_t> ids = make_inputs(pad_to, static_cast<int>(i) + 1).back();
            padded.push_back(ids);
            ids = tokenizer.wrap(ids.data() + tokenizer.prefix().size(), static_cast<size_t>(lengths[i] - specials));
            packed.push_back(ids);
        }
        EmbedOptions options;
        options.batch_size = 32;
        options.threads = o.threads.back();
        const nlohmann::json p = summarize(time_runs(context, packed, options, o.repeats, o.min_seconds));
        const nlohmann::json q = summarize(time_runs(context, padded, options, o.repeats, o.min_seconds));
        mixed = {{"lengths", lengths}, {"threads", options.threads}, {"packed", p}, {"padded_to_longest", q},
                 {"speedup", q["median_ms"].get<double>() / p["median_ms"].get<double>()}};
        std::printf("\nmixed-length batch of 32 (lengths from the text's documents, longest %d, %d threads): packed %.2f ms, "
                    "padded %.2f ms, %.2fx the texts/s\n",
                    pad_to, options.threads, p["median_ms"].get<double>(), q["median_ms"].get<double>(),
                    mixed["speedup"].get<double>());
    }
    const double rss = peak_rss_mb();
    std::printf("\npeak RSS %.1f MB\n", rss);
    if (!o.json_path.empty()) {
        nlohmann::json report = {{"model", o.model_path},   {"weight_dtype", c.weight_dtype},
                                 {"isa", simd::isa_name(simd::active_isa())}, {"load_ms", load_ms},
                                 {"peak_rss_mb", rss},      {"results", results}};
        if (o.mixed) report["mixed"] = mixed;
        std::ofstream out(o.json_path);
        out << report.dump(2) << "\n";
        if (!out) throw Error(Status::io_error, "cannot write '" + o.json_path + "'");
    }
    return 0;
}

}  // namespace edgembed::cli
