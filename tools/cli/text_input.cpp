#include "tools/cli/text_input.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace edgembed::cli {

std::vector<std::string> read_texts(std::istream& in, InputFormat format) {
    std::vector<std::string> texts;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (format == InputFormat::lines) {
            texts.push_back(std::move(line));
            continue;
        }
        try {
            const nlohmann::json value = nlohmann::json::parse(line);
            if (value.is_string()) texts.push_back(value.get<std::string>());
            else if (value.is_object() && value.contains("text") && value["text"].is_string())
                texts.push_back(value["text"].get<std::string>());
            else
                throw Error(Status::invalid_argument, "line " + std::to_string(number) +
                                                          ": expected a JSON string or an object with a \"text\" string");
        } catch (const nlohmann::json::exception& e) {
            throw Error(Status::invalid_argument, "line " + std::to_string(number) + " is not valid JSON: " + e.what());
        }
    }
    return texts;
}

}  // namespace edgembed::cli
