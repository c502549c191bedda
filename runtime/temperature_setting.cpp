#include "runtime/temperature_setting.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace edgembed {
namespace {

[[noreturn]] void bad_spec(const std::string& spec, const std::string& what) {
    throw Error(Status::invalid_argument, "temperature setting '" + spec + "': " + what +
                                              " (expected e.g. 'tau=1 N0=128 A=1 layers=1,1,1,0.8,0.8,0.8')");
}

float parse_float(const std::string& spec, const std::string& key, const std::string& text) {
    char* end = nullptr;
    const float value = std::strtof(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
        bad_spec(spec, key + " is not a finite number: '" + text + "'");
    return value;
}

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

}  // namespace

TemperatureSetting parse_temperature_setting(const std::string& spec) {
    TemperatureSetting s;
    bool seen_tau = false, seen_n0 = false, seen_a = false, seen_layers = false;
    std::istringstream words(spec);
    std::string word;
    while (words >> word) {
        const size_t eq = word.find('=');
        if (eq == std::string::npos) bad_spec(spec, "'" + word + "' is not key=value");
        const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
        auto once = [&](bool& seen) {
            if (seen) bad_spec(spec, key + " given twice");
            seen = true;
        };
        if (key == "tau") {
            once(seen_tau);
            s.tau = parse_float(spec, key, value);
        } else if (key == "N0") {
            once(seen_n0);
            const float n0 = parse_float(spec, key, value);
            if (n0 != std::floor(n0) || n0 < 0 || n0 > 1e7f) bad_spec(spec, "N0 must be a whole number of tokens");
            s.length_scale_reference = static_cast<int>(n0);
        } else if (key == "A") {
            once(seen_a);
            s.length_scale_exponent = parse_float(spec, key, value);
        } else if (key == "layers") {
            once(seen_layers);
            std::istringstream items(value);
            std::string item;
            while (std::getline(items, item, ',')) s.layer_factors.push_back(parse_float(spec, "a layer factor", item));
            if (s.layer_factors.empty()) bad_spec(spec, "layers= lists no factor");
        } else {
            bad_spec(spec, "unknown key '" + key + "'");
        }
    }
    if (!seen_tau) bad_spec(spec, "tau= is missing");
    validate(s, 0, "temperature setting '" + spec + "'");
    return s;
}

std::string to_string(const TemperatureSetting& s) {
    std::string out = "tau=" + number(s.tau);
    if (s.length_scale_reference > 0)
        out += " N0=" + std::to_string(s.length_scale_reference) + " A=" + number(s.length_scale_exponent);
    if (!s.layer_factors.empty()) {
        out += " layers=";
        for (size_t i = 0; i < s.layer_factors.size(); ++i) out += (i ? "," : "") + number(s.layer_factors[i]);
    }
    return out;
}

void validate(const TemperatureSetting& s, int num_layers, const std::string& what) {
    auto fail = [&](const std::string& why) { throw Error(Status::invalid_argument, what + ": " + why); };
    if (!(s.tau > 0.0f && s.tau <= 100.0f)) fail("tau must be in (0, 100]");
    if (s.length_scale_reference < 0 || s.length_scale_reference == 1) fail("N0 must be 0 (off) or >= 2");
    if (!std::isfinite(s.length_scale_exponent) || std::fabs(s.length_scale_exponent) > 100.0f)
        fail("A must be a finite number in [-100, 100]");
    for (float f : s.layer_factors)
        if (!(f > 0.0f && f <= 100.0f)) fail("layer factors must be in (0, 100]");
    if (num_layers > 0 && !s.layer_factors.empty() && static_cast<int>(s.layer_factors.size()) != num_layers)
        fail("layers= needs one factor per layer (" + std::to_string(num_layers) + "), got " +
             std::to_string(s.layer_factors.size()));
}

void to_json(nlohmann::json& out, const TemperatureSetting& s) {
    out = {{"tau", s.tau},
           {"length_scale_reference", s.length_scale_reference},
           {"length_scale_exponent", s.length_scale_exponent},
           {"layer_factors", s.layer_factors}};
}

TemperatureSetting temperature_setting_from_json(const nlohmann::json& in, const std::string& where) {
    TemperatureSetting s;
    try {
        if (!in.is_object()) throw Error(Status::invalid_config, where + " is not an object");
        s.tau = in.at("tau").get<float>();
        s.length_scale_reference = in.at("length_scale_reference").get<int>();
        s.length_scale_exponent = in.at("length_scale_exponent").get<float>();
        s.layer_factors = in.at("layer_factors").get<std::vector<float>>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(Status::invalid_config, where + ": " + e.what());
    }
    try {
        validate(s, 0, where);
    } catch (const Error& e) {
        throw Error(Status::invalid_config, e.what());
    }
    return s;
}

}  // namespace edgembed
