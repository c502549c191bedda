// edgembed-bpe-pieces: the BPE pieces (byte-level or SentencePiece-style; no added tokens, no specials) of one
// JSON string per stdin line, printed as one JSON array of ids per line; the parity test against Hugging Face
// `tokenizers` (tests/python/test_tokenizer_parity_bpe.py) drives it.
//
//   edgembed-bpe-pieces TOKENIZER [--vocab-merges | --pipeline [--template]] [--limit N] [--time] < texts.jsonl
//
// TOKENIZER is a tokenizer.json, or a folder with tokenizer.json or (--vocab-merges, or when it has no
// tokenizer.json) vocab.json + merges.txt. --pipeline reads the folder as the converter does
// (tools/convert/hf_tokenizer.h) and prints the whole tokenizer's encode_pieces(): the added tokens
// matched, no template (--template: encode(), the template around them). --time prints the throughput
// (input bytes per second of append() / encode_pieces(), one thread, reading and printing excluded) to stderr.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tools/convert/hf_bpe.h"
#include "tools/convert/hf_files.h"
#include "tools/convert/hf_tokenizer.h"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw edgembed::Error(edgembed::Status::file_not_found, "cannot open " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

edgembed::BpeConfig load(const std::string& path, bool vocab_merges) {
    namespace fs = std::filesystem;
    std::string tokenizer_json = path;
    if (fs::is_directory(path)) {
        tokenizer_json = (fs::path(path) / "tokenizer.json").string();
        if (vocab_merges || !fs::exists(tokenizer_json)) {
            const std::string vocab = (fs::path(path) / "vocab.json").string();
            const std::string merges = (fs::path(path) / "merges.txt").string();
            return edgembed::convert::bpe_from_vocab_merges(read_file(vocab), read_file(merges), vocab, merges);
        }
    }
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(read_file(tokenizer_json));
    } catch (const nlohmann::json::exception& e) {
        throw edgembed::Error(edgembed::Status::invalid_checkpoint, tokenizer_json + ": not valid JSON (" + e.what() + ")");
    }
    return edgembed::convert::bpe_from_tokenizer_json(doc, tokenizer_json);
}

// The folder's whole tokenizer, as the converter stores it.
edgembed::TokenizerConfig load_pipeline(const std::string& dir) {
    const edgembed::convert::HfFiles files(dir, "");
    std::string model_type;
    if (const auto config = files.read_json_if_present("config.json")) {
        if (config->contains("model_type") && config->at("model_type").is_string()) model_type = config->at("model_type");
    }
    return edgembed::convert::read_hf_tokenizer(files, model_type, [](const std::string&) {}).config;
}

}  // namespace

int main(int argc, char** argv) {
    std::string path;
    bool vocab_merges = false, pipeline = false, with_template = false, timed = false;
    std::size_t limit = SIZE_MAX;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--vocab-merges") {
            vocab_merges = true;
        } else if (arg == "--pipeline") {
            pipeline = true;
        } else if (arg == "--template") {
            with_template = true;
        } else if (arg == "--time") {
            timed = true;
        } else if (arg == "--limit" && i + 1 < argc) {
            limit = std::strtoull(argv[++i], nullptr, 10);
        } else if (path.empty() && arg.rfind("--", 0) != 0) {
            path = arg;
        } else {
            std::fprintf(stderr, "usage: edgembed-bpe-pieces TOKENIZER [--vocab-merges | --pipeline [--template]] [--limit N] [--time] < jsonl\n");
            return 2;
        }
    }
    if (path.empty()) {
        std::fprintf(stderr, "usage: edgembed-bpe-pieces TOKENIZER [--vocab-merges | --pipeline [--template]] [--limit N] [--time] < jsonl\n");
        return 2;
    }
    try {
        std::unique_ptr<edgembed::PiecesModel> bpe;
        std::unique_ptr<edgembed::Tokenizer> tokenizer;
        if (pipeline) {
            tokenizer = std::make_unique<edgembed::Tokenizer>(load_pipeline(path));
        } else {
            edgembed::TokenizerConfig config;
            config.type = "bpe";
            config.bpe = load(path, vocab_merges);
            bpe = edgembed::make_pieces_model(config);
        }
        std::ios::sync_with_stdio(false);
        std::string line, out_line;
        std::vector<int32_t> ids;
        double seconds = 0;
        std::size_t bytes = 0, count = 0;
        for (std::size_t line_number = 1; std::getline(std::cin, line); ++line_number) {
            std::string text;
            try {
                text = nlohmann::json::parse(line).get<std::string>();
            } catch (const nlohmann::json::exception& e) {
                std::fprintf(stderr, "stdin line %zu: not a JSON string (%s)\n", line_number, e.what());
                return 1;
            }
            ids.clear();
            const auto start = std::chrono::steady_clock::now();
            if (bpe) {
                bpe->append(text, limit, ids);
            } else if (with_template) {
                ids = tokenizer->encode(text, 0);
            } else {
                ids = tokenizer->encode_pieces(text);
                if (ids.size() > limit) ids.resize(limit);
            }
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            bytes += text.size();
            ++count;
            out_line = "[";
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (i > 0) out_line += ", ";
                out_line += std::to_string(ids[i]);
            }
            out_line += "]\n";
            std::cout << out_line;
        }
        std::cout.flush();
        if (timed) {
            std::fprintf(stderr, "%zu texts, %zu bytes in %.4f s: %.2f MB/s\n", count, bytes, seconds,
                         seconds > 0 ? bytes / seconds / 1e6 : 0.0);
        }
    } catch (const edgembed::Error& e) {
        std::fprintf(stderr, "error (%s): %s\n", edgembed::status_name(e.status()), e.what());
        return 1;
    }
    return 0;
}
