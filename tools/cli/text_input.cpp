#include "tools/cli/text_input.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "base/error.h"

namespace edgembed::cli {

bool TextReader::read_chunk(std::vector<std::string>& texts, size_t max_texts, size_t max_bytes) {
    texts.clear();
    size_t bytes = 0;
    std::string line;
    while (texts.size() < max_texts && (texts.empty() || bytes < max_bytes) && std::getline(in_, line)) {
        ++line_;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        bytes += line.size();
        if (format_ == InputFormat::lines) {
            texts.push_back(std::move(line));
            continue;
        }
        try {
            const nlohmann::json value = nlohmann::json::parse(line);
            if (value.is_string()) texts.push_back(value.get<std::string>());
            else if (value.is_object() && value.contains("text") && value["text"].is_string())
                texts.push_back(value["text"].get<std::string>());
            else
                throw Error(Status::invalid_argument, "line " + std::to_string(line_) +
                                                          ": expected a JSON string or an object with a \"text\" string");
        } catch (const nlohmann::json::exception& e) {
            throw Error(Status::invalid_argument, "line " + std::to_string(line_) + " is not valid JSON: " + e.what());
        }
    }
    texts_read_ += texts.size();
    return !texts.empty();
}

std::vector<std::string> read_texts(std::istream& in, InputFormat format) {
    std::vector<std::string> texts;
    TextReader(in, format).read_chunk(texts, std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max());
    return texts;
}

}  // namespace edgembed::cli
