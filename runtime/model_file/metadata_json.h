// Parses a model file's metadata JSON. The vocabulary (config.wordpiece.vocab, 30522 strings for BERT)
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
    nlohmann::json tree;  // everything, with config.wordpiece.vocab left as an empty array
    std::optional<std::vector<std::string>> vocab;  // the strings of config.wordpiece.vocab, if present
};

// Throws Error(corrupt_model_file) on invalid JSON, or a vocab that is not an array of strings.
Metadata parse_metadata(const char* begin, const char* end);

}  // namespace edgembed::model_file
