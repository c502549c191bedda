// edgembed-convert HF_DIR OUT_FILE [--dtype f32|f16|int8] [--min-cosine C] [--outlier-channels K] [--temperature T]
//                  [--auto-temperature SETTING] [--max-seq-length N]
// Converts a Hugging Face BERT checkpoint (optionally a sentence-transformers model) into an edgembed
// model file. Exits 1 with "edgembed-convert: error: <message>" on any failure.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iterator>

#include "base/error.h"
#include "tools/cli/progress_line.h"
#include "tools/convert/convert.h"
#include "tools/convert/quality_sample.h"

namespace {

void print_summary(const edgembed::convert::ConvertSummary& s, const std::string& out_file) {
    const edgembed::ModelConfig& c = s.config;
    std::printf("wrote %s (%.1f MB) in %.2f s\n", out_file.c_str(), static_cast<double>(s.file_size) / 1e6, s.seconds);
    std::printf("  source          %s, from %s\n", c.source.c_str(), s.weights.c_str());
    std::printf("  architecture    %s: %d layers, hidden %d, %d heads", c.architecture.c_str(), c.num_layers, c.hidden_size,
                c.num_heads);
    if (c.num_kv_heads != 0 || c.head_size != 0) std::printf(" (%d key / value, head_dim %d)", c.kv_heads(), c.head_dim());
    std::printf(", ffn %d, vocab %d, positions %d\n", c.intermediate_size, c.vocab_size, c.max_position_embeddings);
    std::printf("  tensors         %zu (%.2f M parameters, %s)\n", s.tensor_count, static_cast<double>(s.parameter_count) / 1e6,
                c.weight_dtype.c_str());
    std::printf("  pooling         %s", edgembed::pooling_name(c.pooling));
    for (const edgembed::DenseModule& d : c.dense)
        std::printf(", Dense %d -> %d%s (%s)", d.in_features, d.out_features, d.bias ? " + bias" : "",
                    edgembed::dense_activation_name(d.activation));
    std::printf(", normalize %s\n", c.normalize ? "yes" : "no");
    std::printf("  max_seq_length  %d\n", c.max_seq_length);
    std::printf("  temperature     %g (default)", static_cast<double>(c.default_temperature));
    if (c.auto_temperature) std::printf(", auto: %s", edgembed::to_string(*c.auto_temperature).c_str());
    std::printf("\n");
    if (s.quality) {
        std::printf("  quality gate    vs f32 on %zu built-in texts: mean cosine %.6f, min %.6f\n",
                    std::size(edgembed::convert::kQualitySample), s.quality->mean_cosine, s.quality->min_cosine);
        for (const std::string& line : s.outlier_channels) std::printf("  outliers        %s\n", line.c_str());
        for (const std::string& kept : s.f16_fallback) std::printf("  f16 fallback    %s\n", kept.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Convert a Hugging Face / sentence-transformers checkpoint (a family of the README's table) into an edgembed model file", "edgembed-convert"};
    edgembed::convert::ConvertOptions options;
    float temperature = 1.0f;
    int max_seq_length = 0;
    app.add_option("HF_DIR", options.hf_dir, "Hugging Face / sentence-transformers model directory")->required();
    app.add_option("OUT_FILE", options.out_file, "model file to write")->required();
    app.add_option("--dtype", options.dtype, "weight format: f32, f16 (weights in half precision) or int8 (per-channel int8 linear layers)")->capture_default_str();
    auto* temperature_option = app.add_option("--temperature", temperature, "default temperature stored in the model (> 0)");
    app.add_option("--auto-temperature", options.auto_temperature,
                   "the setting `edgembed embed --temperature auto` applies, e.g. 'tau=1 layers=1,1,1,0.8,0.8,0.8' or "
                   "'tau=1 N0=128 A=1' (chosen label-free per model: docs/TEMPSCALE.md)");
    app.add_option("--min-cosine", options.min_cosine,
                   "f16/int8 quality gate: move weights to f16 (the most sensitive FFN output projections, then whole "
                   "layers) until the min cosine against f32 on the built-in sample reaches this (0 = only report)");
    app.add_option("--outlier-channels", options.outlier_channels,
                   "int8: input channels kept in f32 in each layer's attention input (q, k, v), FFN input and FFN "
                   "output projections (those of largest |x| on the built-in sample: the outliers per-token int8 "
                   "cannot resolve; 0 = none)")
        ->capture_default_str()
        ->check(CLI::Range(0, 64));
    auto* length_option = app.add_option("--max-seq-length", max_seq_length, "default maximum sequence length (<= max_position_embeddings)");
    bool show_progress = edgembed::cli::ProgressLine::stderr_is_terminal(), no_progress = false;
    app.add_flag("--progress", show_progress, "show progress on stderr (default: when stderr is a terminal)");
    app.add_flag("--no-progress", no_progress, "no progress display");
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "edgembed-convert: error: %s (see --help)\n", e.what());
        return 1;
    }
    if (*temperature_option) options.temperature = temperature;
    if (*length_option) options.max_seq_length = max_seq_length;
    edgembed::cli::ProgressLine progress_line("edgembed-convert", "steps", show_progress && !no_progress);
    options.note = [&](const std::string& message) {
        progress_line.break_line();  // notes start their own lines
        std::fprintf(stderr, "edgembed-convert: note: %s\n", message.c_str());
    };
    options.progress = [&](const std::string& step, int done, int total) {
        progress_line.update(static_cast<size_t>(done), static_cast<size_t>(total), step);
    };

    try {
        const edgembed::convert::ConvertSummary summary = edgembed::convert::convert(options);
        progress_line.finish();
        print_summary(summary, options.out_file);
        return 0;
    } catch (const edgembed::Error& e) {
        std::fprintf(stderr, "edgembed-convert: error: %s\n", e.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "edgembed-convert: error: out of memory\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "edgembed-convert: error: internal error: %s\n", e.what());
    }
    return 1;
}
