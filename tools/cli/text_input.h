// Reads the CLI's input texts: one text per line ("lines"), or one JSON string or {"text": ...} object
// per line ("jsonl", for texts that contain newlines); all at once or a chunk at a time (streaming).
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace edgembed::cli {

enum class InputFormat { lines, jsonl };

class TextReader {
public:
    TextReader(std::istream& in, InputFormat format) : in_(in), format_(format) {}
    // Replaces texts with the next texts of the input: max_texts of them, fewer when they reach max_bytes
    // first (at least one) or the input ends. False when the input has no text left. Throws
    // Error(invalid_argument) naming the line on malformed JSON.
    bool read_chunk(std::vector<std::string>& texts, size_t max_texts, size_t max_bytes);
    size_t texts_read() const { return texts_read_; }

private:
    std::istream& in_;
    InputFormat format_;
    size_t line_ = 0, texts_read_ = 0;
};

// The whole input (throws as read_chunk does).
std::vector<std::string> read_texts(std::istream& in, InputFormat format);

}  // namespace edgembed::cli
