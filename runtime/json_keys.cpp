#include "runtime/json_keys.h"

#include "base/error.h"

namespace edgembed {

JsonKeys::JsonKeys(const nlohmann::json& object, std::string file) : object_(object), file_(std::move(file)) {
    if (!object_.is_object()) throw Error(Status::invalid_config, file_ + ": not a JSON object");
}

int JsonKeys::integer(const char* key, std::optional<int> fallback) const {
    if (!has(key)) {
        if (fallback) return *fallback;
        missing(key);
    }
    const nlohmann::json& v = object_.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) wrong(key, "an integer");
    return v.get<int>();
}

std::optional<double> JsonKeys::number(const char* key) const {
    if (!has(key)) return std::nullopt;
    if (!object_.at(key).is_number()) wrong(key, "a number");
    return object_.at(key).get<double>();
}

std::string JsonKeys::string(const char* key, std::optional<std::string> fallback) const {
    if (!has(key)) {
        if (fallback) return *fallback;
        missing(key);
    }
    if (!object_.at(key).is_string()) wrong(key, "a string");
    return object_.at(key).get<std::string>();
}

bool JsonKeys::boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!object_.at(key).is_boolean()) wrong(key, "true or false");
    return object_.at(key).get<bool>();
}

std::optional<bool> JsonKeys::optional_boolean(const char* key) const {
    if (!has(key)) return std::nullopt;
    return boolean(key, false);
}

std::optional<std::string> JsonKeys::token(const char* key) const {
    if (!has(key)) return std::nullopt;
    const nlohmann::json& v = object_.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
    wrong(key, "a token string");
}

void JsonKeys::missing(const char* key) const {
    throw Error(Status::invalid_config, file_ + ": missing key '" + key + "'");
}

void JsonKeys::wrong(const char* key, const char* what) const {
    throw Error(Status::invalid_config, file_ + ": key '" + key + "' must be " + what);
}

}  // namespace edgembed
