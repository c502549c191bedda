// Typed access to one JSON object of a Hugging Face file (config.json, tokenizer.json, ...), naming the
// file and the key in every error: Error(invalid_config) for a missing or mistyped key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace edgembed {

class JsonKeys {
public:
    // Throws Error(invalid_config) when `object` is not a JSON object.
    JsonKeys(const nlohmann::json& object, std::string file);

    bool has(const char* key) const { return object_.contains(key) && !object_.at(key).is_null(); }
    const nlohmann::json& raw(const char* key) const { return object_.at(key); }

    int integer(const char* key, std::optional<int> fallback = std::nullopt) const;
    // Integers and floats alike (model_max_length is often 1e30); nullopt when absent.
    std::optional<double> number(const char* key) const;
    std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) const;
    bool boolean(const char* key, bool fallback) const;
    std::optional<bool> optional_boolean(const char* key) const;
    // A token given as "text" or as {"content": "text", ...}.
    std::optional<std::string> token(const char* key) const;

    const std::string& file() const { return file_; }
    [[noreturn]] void missing(const char* key) const;
    [[noreturn]] void wrong(const char* key, const char* what) const;

private:
    const nlohmann::json& object_;
    std::string file_;
};

}  // namespace edgembed
