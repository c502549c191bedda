// edgembed-sp-pieces: the piece ids (no specials) of SentencePieceModel for each text, for
// tests/python/test_tokenizer_parity_sentencepiece.py.
//   edgembed-sp-pieces DIR [--id-mapping identity|fairseq] [--tokenizer-json]
// DIR's SentencePiece model (spiece.model or sentencepiece.bpe.model) is read when present (with
// --id-mapping; default fairseq for sentencepiece.bpe.model, XLM-R's name, identity otherwise), else its
// tokenizer.json (--tokenizer-json forces that). Reads one JSON string per stdin line, writes one JSON array
// of ids per line; a text the model refuses gives {"error": "<status>: message"}. Exit 2 on a bad folder.
// Last line on stderr: "encode: B bytes in S s" (the time in SentencePieceModel::append alone).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "tools/convert/hf_sentencepiece.h"

namespace fs = std::filesystem;
using namespace edgembed;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

SentencePieceConfig read_folder(const fs::path& dir, const std::string& id_mapping, bool tokenizer_json) {
    for (const char* name : {"spiece.model", "sentencepiece.bpe.model"}) {
        if (tokenizer_json || !fs::exists(dir / name)) continue;
        SentencePieceConfig config = convert::sentencepiece_from_model_file(read_file(dir / name), name);
        config.id_mapping = !id_mapping.empty() ? id_mapping : std::string(name) == "spiece.model" ? "identity" : "fairseq";
        return config;
    }
    if (!fs::exists(dir / "tokenizer.json")) throw Error(Status::file_not_found, dir.string() + ": no .model, no tokenizer.json");
    return convert::sentencepiece_from_tokenizer_json(nlohmann::json::parse(read_file(dir / "tokenizer.json")), "tokenizer.json");
}

}  // namespace

int main(int argc, char** argv) {
    std::string id_mapping;
    bool tokenizer_json = false;
    fs::path dir;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--id-mapping") == 0 && i + 1 < argc) {
            id_mapping = argv[++i];
        } else if (std::strcmp(argv[i], "--tokenizer-json") == 0) {
            tokenizer_json = true;
        } else {
            dir = argv[i];
        }
    }
    if (dir.empty()) {
        std::fprintf(stderr, "usage: edgembed-sp-pieces DIR [--id-mapping identity|fairseq] [--tokenizer-json]\n");
        return 2;
    }
    try {
        const SentencePieceModel model(read_folder(dir, id_mapping, tokenizer_json));
        std::string line;
        std::vector<int32_t> ids;
        std::size_t bytes = 0;
        std::chrono::steady_clock::duration busy{};
        while (std::getline(std::cin, line)) {
            nlohmann::json result;
            try {
                ids.clear();
                const std::string text = nlohmann::json::parse(line).get<std::string>();
                const auto start = std::chrono::steady_clock::now();
                model.append(text, SIZE_MAX, ids);
                busy += std::chrono::steady_clock::now() - start;
                bytes += text.size();
                result = ids;
            } catch (const Error& e) {
                result = {{"error", std::string(status_name(e.status())) + ": " + e.what()}};
            }
            std::cout << result.dump() << '\n';
        }
        std::fprintf(stderr, "encode: %zu bytes in %.6f s\n", bytes, std::chrono::duration<double>(busy).count());
    } catch (const Error& e) {
        std::fprintf(stderr, "edgembed-sp-pieces: %s: %s\n", status_name(e.status()), e.what());
        return 2;
    }
    return 0;
}
