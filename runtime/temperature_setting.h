// A complete attention-temperature setting: constant tau, the length-aware factor and per-layer factors.
// Models may store one as their "auto" temperature (chosen label-free per model, docs/TEMPSCALE.md);
// `--temperature auto` / EmbedOptions::auto_temperature apply it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace edgembed {

struct TemperatureSetting {
    float tau = 1.0f;                   // TempScale tau: logits / tau
    int length_scale_reference = 0;     // N0; 0 = off. Sequences of n > N0 tokens: logits x (ln n / ln N0)^A
    float length_scale_exponent = 1.0f; // A
    std::vector<float> layer_factors;   // per-layer factors on tau (empty = 1 everywhere)
};

// Parses "tau=1 N0=128 A=1 layers=1,1,1,0.8,0.8,0.8" (keys in any order, each at most once, tau
// required; the notation of docs/TEMPSCALE.md). Throws Error(invalid_argument) naming what is wrong.
TemperatureSetting parse_temperature_setting(const std::string& spec);
// The same notation back (shortest round-tripping numbers).
std::string to_string(const TemperatureSetting& setting);
// Range checks; num_layers > 0 also checks the layer count. Throws Error(status) with `what` in front.
void validate(const TemperatureSetting& setting, int num_layers, const std::string& what);

void to_json(nlohmann::json& out, const TemperatureSetting& setting);
// Throws Error(invalid_config) naming the key.
TemperatureSetting temperature_setting_from_json(const nlohmann::json& in, const std::string& where);

}  // namespace edgembed
