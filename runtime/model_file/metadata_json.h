// Parses a model file's metadata JSON. The vocabulary (config.tokenizer.wordpiece.vocab or .bpe.vocab;
// config.wordpiece.vocab in files from before families: 30522 strings for BERT)
// is most of it: its strings go straight into a vector instead of into the JSON tree, which saves a
// third of the parse at load.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace edgembed::model_file {

struct Metadata {
    nlohmann::json tree;  // everything, with the vocabulary left as an empty array
    std::optional<std::vector<std::string>> vocab;  // the vocabulary's strings, if present
};

// Throws Error(corrupt_model_file) on invalid JSON, or a vocab that is not an array of strings.
Metadata parse_metadata(const char* begin, const char* end);

}  // namespace edgembed::model_file
