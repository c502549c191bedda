// Reads the CLI's input texts: one text per line ("lines"), or one JSON string or {"text": ...} object
// per line ("jsonl", for texts that contain newlines).
#pragma once

#include <istream>
#include <string>
#include <vector>

namespace edgembed::cli {

enum class InputFormat { lines, jsonl };

// Throws Error(invalid_argument) naming the line on malformed JSON.
std::vector<std::string> read_texts(std::istream& in, InputFormat format);

}  // namespace edgembed::cli
