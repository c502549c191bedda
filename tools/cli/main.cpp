// The edgembed command line: embed, tokenize, inspect, bench, serve.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "quant/f32_gemm.h"
#include "quant/int8_gemm.h"
#include "runtime/context.h"
#include "runtime/prompts.h"
#include "base/error.h"
#include "tools/cli/progress_line.h"
#include "simd/isa.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/output_file.h"
#include "tools/cli/peak_memory.h"
#include "tools/cli/text_input.h"
#include "tools/cli/vector_output.h"
#if defined(EDGEMBED_WITH_SERVE)
#include "tools/serve/serve_command.h"
#endif

namespace {

using namespace edgembed;

struct InputArgs {
    std::string path = "-";
    std::string format = "lines";
};

void add_input(CLI::App* command, InputArgs& args) {
    command->add_option("input", args.path, "input file, one text per line ('-' = stdin)");
    command->add_option("--input", args.format, "input format: lines (one text per line) or jsonl (a JSON string or {\"text\": ...} per line)")
        ->check(CLI::IsMember({"lines", "jsonl"}));
}

std::vector<std::string> read_input(const InputArgs& args) {
    const cli::InputFormat format = args.format == "jsonl" ? cli::InputFormat::jsonl : cli::InputFormat::lines;
    if (args.path == "-") return cli::read_texts(std::cin, format);
    std::ifstream file(args.path, std::ios::binary);
    if (!file) throw Error(Status::file_not_found, "cannot open input file '" + args.path + "'");
    return cli::read_texts(file, format);
}

// --prompt-name / --prompt, resolved against the model once it is loaded.
struct PromptArgs {
    std::optional<std::string> name, text;
};

// The index of a chunk's first text added to the text number an error message starts with ("text 3: ..."),
// so that it names the text of the whole input.
std::string renumbered(const std::string& message, size_t first) {
    const std::string prefix = "text ";
    size_t end = prefix.size();
    while (end < message.size() && message[end] >= '0' && message[end] <= '9') ++end;
    if (first == 0 || message.compare(0, prefix.size(), prefix) != 0 || end == prefix.size()) return message;
    return prefix + std::to_string(std::stoull(message.substr(prefix.size(), end - prefix.size())) + first) +
           message.substr(end);
}

// Streams: reads a chunk of texts, embeds it, writes its vectors, and so on, so that memory stays bounded
// whatever the input's length (a chunk holds at most kChunkTexts texts, fewer past kChunkBytes of text).
int run_embed(const std::string& model_path, const InputArgs& input, EmbedOptions options, const PromptArgs& prompt,
              const std::string& output, const std::string& out_path, const std::string& layer_stats_path, bool progress) {
    constexpr size_t kChunkTexts = 4096, kChunkBytes = size_t{16} << 20;
    const auto t0 = std::chrono::steady_clock::now();
    Context context(Model::load(model_path));
    options.prompt = resolve_prompt(context.model().config(), prompt.name, prompt.text);
    context.embed({}, options, nullptr);  // bad options fail before any output is written
    const size_t dim = static_cast<size_t>(context.model().dimension());
    const size_t layer_rows = static_cast<size_t>(context.model().config().num_layers) + 1;
    const size_t batch = static_cast<size_t>(options.batch_size);
    const size_t chunk_texts = std::max(batch, (kChunkTexts + batch - 1) / batch * batch);

    std::ifstream file;
    if (input.path != "-") {
        file.open(input.path, std::ios::binary);
        if (!file) throw Error(Status::file_not_found, "cannot open input file '" + input.path + "'");
    }
    std::istream& in = input.path == "-" ? std::cin : file;
    // The share of the input read so far, for the progress line (a named regular file only).
    double input_bytes = -1.0;
    std::error_code size_error;
    if (input.path != "-" && std::filesystem::is_regular_file(input.path, size_error))
        input_bytes = static_cast<double>(std::filesystem::file_size(input.path, size_error));
    auto input_fraction = [&]() -> double {
        if (!(input_bytes > 0.0)) return -1.0;
        const std::streampos at = in.tellg();
        return at == std::streampos(-1) ? 1.0 : std::min(1.0, static_cast<double>(at) / input_bytes);
    };

    cli::OutputFile out(out_path);
    std::optional<cli::NpyWriter> npy;
    if (output == "npy") npy.emplace(out.stream(), dim);
    std::optional<cli::OutputFile> stats_out;
    std::vector<float> vectors, dc_share;
    if (!layer_stats_path.empty()) {
        stats_out.emplace(layer_stats_path);
        options.layer_dc_share = &dc_share;
    }
    cli::ProgressLine progress_line("embedding", "texts", progress);
    cli::TextReader reader(in, input.format == "jsonl" ? cli::InputFormat::jsonl : cli::InputFormat::lines);
    std::vector<std::string> texts;
    EmbedStats stats;
    double chunk_start_fraction = input_fraction() < 0.0 ? -1.0 : 0.0;
    while (reader.read_chunk(texts, chunk_texts, kChunkBytes)) {
        const size_t first = reader.texts_read() - texts.size();
        const double chunk_end_fraction = input_fraction();
        options.progress = [&](size_t done, size_t total) {
            const double fraction = chunk_end_fraction < 0.0 ? -1.0
                : chunk_start_fraction + (chunk_end_fraction - chunk_start_fraction) * static_cast<double>(done) /
                                             static_cast<double>(std::max<size_t>(total, 1));
            progress_line.update_stream(first + done, fraction);
        };
        const std::vector<std::string_view> views(texts.begin(), texts.end());
        vectors.resize(texts.size() * dim);
        EmbedStats chunk;
        try {
            chunk = context.embed(views, options, vectors.data());
        } catch (const Error& e) {
            throw Error(e.status(), renumbered(e.what(), first));
        }
        stats.texts += chunk.texts;
        stats.tokens += chunk.tokens;
        stats.truncated += chunk.truncated;
        stats.windowed += chunk.windowed;
        stats.windows += chunk.windows;
        if (npy) npy->write(vectors.data(), texts.size());
        else cli::write_jsonl(out.stream(), vectors.data(), texts.size(), dim);
        // One JSON array per text: the DC share after the embeddings and after each layer.
        if (stats_out)
            for (size_t i = 0; i < texts.size(); ++i)
                cli::write_jsonl(stats_out->stream(), dc_share.data() + i * layer_rows, 1, layer_rows);
        if (!out.stream()) throw Error(Status::io_error, "writing the output failed");
        chunk_start_fraction = chunk_end_fraction;
    }
    if (npy) npy->finish();
    out.commit();
    if (stats_out) stats_out->commit();
    progress_line.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "edgembed: embedded " << stats.texts << " texts (" << stats.tokens << " tokens, " << stats.truncated
              << " truncated at " << context.effective_max_length(options.max_length) << " tokens, " << stats.windowed
              << " split into " << stats.windows - (stats.texts - stats.windowed) << " windows), "
              << (options.auto_temperature ? "temperature auto (" + to_string(*context.model().config().auto_temperature) + ")"
                                           : "tau " + std::to_string(context.effective_temperature(options.temperature)))
              << ", isa " << simd::isa_name(simd::active_isa())
              << ", gemm " << quant::f32_gemm_backend()
              << (context.model().config().weight_dtype == "int8" ? std::string(", int8 gemm ") + quant::int8_gemm_backend() : "")
              << ", " << seconds << " s, " << static_cast<long>(static_cast<double>(stats.texts) / seconds)
              << " texts/s, peak memory " << static_cast<long>(cli::peak_rss_mb() + 0.5) << " MB\n";
    return 0;
}

int run_tokenize(const std::string& model_path, const InputArgs& input, int max_length, bool no_special) {
    Context context(Model::load(model_path));
    const std::vector<std::string> texts = read_input(input);
    for (size_t i = 0; i < texts.size(); ++i) {
        try {
            cli::write_ids_jsonl(std::cout, no_special ? context.model().tokenizer().encode_pieces(texts[i])
                                                       : context.tokenize(texts[i], max_length));
        } catch (const Error& e) {
            throw Error(e.status(), "text " + std::to_string(i) + ": " + e.what());
        }
    }
    return 0;
}

int run_inspect(const std::string& model_path) {
    const auto t0 = std::chrono::steady_clock::now();
    auto model = Model::load(model_path);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json config;
    to_json(config, model->config());
    // The vocabulary (and BPE merges) would swamp the report: their sizes stand in for them.
    nlohmann::json& tokenizer = config["tokenizer"];
    for (const char* kind : {"wordpiece", "bpe"})
        if (tokenizer.contains(kind))
            for (const char* list : {"vocab", "merges"})
                if (tokenizer[kind].contains(list)) {
                    const size_t entries = tokenizer[kind][list].size();
                    tokenizer[kind].erase(list);
                    tokenizer[kind][std::string(list) + "_entries"] = entries;
                }
    uint64_t parameters = 0;
    for (const auto& [name, tensor] : model->file().tensors()) parameters += static_cast<uint64_t>(tensor.elements());
    nlohmann::json report = {{"format_version", model->file().format_version()},
                             {"file_bytes", model->file().file_size()},
                             {"tensors", model->file().tensors().size()},
                             {"parameters", parameters},
                             {"load_ms", ms},
                             {"config", config}};
    std::cout << report.dump(2) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgembed: text embeddings on the CPU"};
    app.require_subcommand(1);

    std::string model_path, output = "jsonl", out_path = "-";
    InputArgs input;
    EmbedOptions options;
    std::string temperature;
    CLI::App* embed = app.add_subcommand("embed", "embed texts (one per line) into vectors, a chunk at a time (bounded memory)");
    embed->add_option("-m,--model", model_path, "model file from edgembed-convert")->required();
    embed->add_option("--temperature", temperature,
                      "TempScale attention temperature tau > 0, or 'auto': the model's stored label-free setting "
                      "(default: the model's default temperature)");
    embed->add_option("--max-length", options.max_length, "tokens per text incl. specials (default: the model's; up to its position limit)");
    embed->add_option("--threads", options.threads, "worker threads (default: all cores)");
    embed->add_option("--batch-size", options.batch_size, "texts per forward pass")->check(CLI::PositiveNumber);
    embed->add_option("--output", output, "jsonl or npy (npy needs an output it can seek in: -o FILE)")->check(CLI::IsMember({"jsonl", "npy"}));
    std::string long_input = "truncate", layer_stats_path;
    embed->add_option("--long-input", long_input,
                      "texts over --max-length: truncate (default, counted on stderr) or window (overlapping windows, pooled)")
        ->check(CLI::IsMember({"truncate", "window"}));
    embed->add_option("--window-stride", options.window_stride, "pieces between window starts (default: half a window)");
    embed->add_option("--length-scale-ref", options.length_scale_reference,
                      "length-aware temperature: scale logits of texts longer than N tokens by (ln n / ln N)^exponent");
    embed->add_option("--length-scale-exp", options.length_scale_exponent, "exponent of the length-aware scale");
    embed->add_option("--layer-temperatures", options.layer_temperatures, "per-layer factors on tau, one per layer")
        ->delimiter(',');
    embed->add_option("--max-batch-tokens", options.max_batch_tokens,
                      "at most this many tokens per forward pass (batches are cut smaller; a longer text is an error)");
    double max_workspace_mb = 0;
    embed->add_option("--max-workspace-mb", max_workspace_mb,
                      "at most this much working memory per forward pass, in MB (batches are cut smaller; a text "
                      "needing more is an error)")
        ->check(CLI::NonNegativeNumber);
    embed->add_option("--layer-stats", layer_stats_path,
                      "write per-text DC shares of the token features after the embeddings and each layer (JSON lines)");
    embed->add_option("-o,--out", out_path, "output file ('-' = stdout)");
    bool progress = cli::ProgressLine::stderr_is_terminal(), no_progress = false;
    embed->add_flag("--progress", progress, "show progress on stderr (default: when stderr is a terminal)");
    embed->add_flag("--no-progress", no_progress, "no progress display");
    PromptArgs prompt;
    std::string prompt_name, prompt_text;
    CLI::Option* prompt_name_option = embed->add_option(
        "--prompt-name", prompt_name, "a prompt the model stores (sentence-transformers prompts, e.g. query), prepended to each text");
    CLI::Option* prompt_option = embed->add_option("--prompt", prompt_text, "a literal prompt prepended to each text");
    prompt_option->excludes(prompt_name_option);
    add_input(embed, input);

    int max_length = 0;
    bool no_special = false;
    CLI::App* tokenize = app.add_subcommand("tokenize", "print token ids, one JSON array per text");
    tokenize->add_option("-m,--model", model_path, "model file")->required();
    tokenize->add_option("--max-length", max_length, "truncate to this many ids incl. specials (default: the model's)");
    tokenize->add_flag("--no-special", no_special, "word pieces only: no [CLS]/[SEP], no truncation");
    add_input(tokenize, input);

    CLI::App* inspect = app.add_subcommand("inspect", "print a model file's metadata");
    inspect->add_option("model", model_path, "model file")->required();

    cli::BenchOptions bench_options;
    CLI::App* bench = app.add_subcommand("bench", "latency per sequence length x batch x threads (markdown table, --json)");
    bench->add_option("-m,--model", bench_options.model_path, "model file")->required();
    bench->add_option("--text", bench_options.text_path, "real text to cut inputs from (text or JSON lines)")->required();
    bench->add_option("--lengths", bench_options.lengths, "token counts (specials included)")->delimiter(',');
    bench->add_option("--batch", bench_options.batches, "batch sizes")->delimiter(',');
    bench->add_option("--threads", bench_options.threads, "thread counts")->delimiter(',');
    bench->add_option("--repeats", bench_options.repeats, "timed runs per configuration (at least)");
    bench->add_option("--min-seconds", bench_options.min_seconds, "timed seconds per configuration (at least)");
    bench->add_flag("--mixed", bench_options.mixed, "also compare a mixed-length batch packed vs padded");
    bench->add_option("--json", bench_options.json_path, "write the results as JSON");

#if defined(EDGEMBED_WITH_SERVE)
    serve::ServeOptions serve_options;
    CLI::App* serve_command = serve::add_serve_command(app, serve_options);
#endif

    CLI11_PARSE(app, argc, argv);
    try {
        simd::active_isa();  // fail early on a bad EDGEMBED_FORCE_ISA
        if (temperature == "auto") {
            options.auto_temperature = true;
        } else if (!temperature.empty()) {
            size_t used = 0;
            try {
                options.temperature = std::stof(temperature, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != temperature.size())
                throw Error(Status::invalid_argument, "--temperature: '" + temperature + "' is neither a number nor 'auto'");
        }
        options.long_input = long_input == "window" ? LongInput::window : LongInput::truncate;
        options.max_workspace_bytes = static_cast<size_t>(max_workspace_mb * 1e6);
        if (*prompt_name_option) prompt.name = prompt_name;
        if (*prompt_option) prompt.text = prompt_text;
        if (embed->parsed())
            return run_embed(model_path, input, options, prompt, output, out_path, layer_stats_path, progress && !no_progress);
        if (tokenize->parsed()) return run_tokenize(model_path, input, max_length, no_special);
        if (inspect->parsed()) return run_inspect(model_path);
        if (bench->parsed()) return cli::run_bench(bench_options);
#if defined(EDGEMBED_WITH_SERVE)
        if (serve_command->parsed()) return serve::run_server(serve_options);
#endif
    } catch (const Error& e) {
        std::cerr << "edgembed: error: " << e.what() << " [" << status_name(e.status()) << "]\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "edgembed: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
