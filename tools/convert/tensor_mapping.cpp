#include "tools/convert/tensor_mapping.h"

#include <cmath>
#include <map>
#include <unordered_map>

#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::convert {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list_names(const std::vector<std::string>& names, size_t limit) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > limit) out += ", ... (" + std::to_string(names.size() - limit) + " more)";
    return out;
}

}  // namespace

std::string canonical_name(const std::string& checkpoint_name, const std::vector<std::string>& prefixes) {
    std::string name = checkpoint_name;
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (const std::string& p : prefixes)
            if (starts_with(name, p)) {
                name.erase(0, p.size());
                stripped = true;
            }
    }
    if (ends_with(name, "LayerNorm.gamma")) name.replace(name.size() - 5, 5, "weight");
    else if (ends_with(name, "LayerNorm.beta")) name.replace(name.size() - 4, 4, "bias");
    return name;
}

std::vector<MappedTensor> map_tensors(const TensorSet& checkpoint, const ModelConfig& config, const NoteFn& note) {
    const models::Family& family = models::family_for(config.architecture);
    const std::vector<models::TensorSpec> specs = models::tensor_specs(config);
    auto ignored_group = [&](const std::string& name) -> std::string {
        for (const auto& [prefix, what] : family.ignored)
            if (starts_with(name, prefix)) return prefix + (prefix.back() == '.' ? "* (" : " (") + what + ")";
        return "";
    };
    std::unordered_map<std::string, size_t> spec_index;
    for (size_t i = 0; i < specs.size(); ++i) spec_index.emplace(specs[i].name, i);

    std::vector<const SourceTensor*> found(specs.size(), nullptr);
    std::map<std::string, std::vector<std::string>> ignored;  // group -> checkpoint names
    std::vector<std::string> unknown;
    for (const SourceTensor& t : checkpoint.tensors()) {
        const std::string name = canonical_name(t.name, family.checkpoint_prefixes);
        auto it = spec_index.find(name);
        if (it == spec_index.end()) {
            if (const std::string group = ignored_group(name); !group.empty()) ignored[group].push_back(t.name);
            else unknown.push_back(t.name);
            continue;
        }
        if (found[it->second])
            throw Error(Status::invalid_checkpoint, "tensors '" + found[it->second]->name + "' and '" + t.name +
                                                        "' both map to '" + name + "'");
        found[it->second] = &t;
    }

    std::vector<std::string> missing;
    for (size_t i = 0; i < specs.size(); ++i)
        if (!found[i]) missing.push_back(specs[i].name);
    if (!missing.empty())
        throw Error(Status::invalid_weights, "the checkpoint is missing " + std::to_string(missing.size()) + " of the " +
                                                 std::to_string(specs.size()) + " tensors the config needs: " +
                                                 list_names(missing, 20));
    if (note) {
        for (const auto& [group, names] : ignored)
            note("ignoring " + std::to_string(names.size()) + " tensor" + (names.size() == 1 ? "" : "s") + " " + group);
        if (!unknown.empty())
            note("ignoring " + std::to_string(unknown.size()) + " unknown tensor" + (unknown.size() == 1 ? "" : "s") +
                 ": " + list_names(unknown, 10));
    }

    std::vector<MappedTensor> out;
    out.reserve(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
        const SourceTensor& t = *found[i];
        if (t.shape != specs[i].shape)
            throw Error(Status::invalid_weights, "tensor '" + t.name + "' has shape " + shape_string(t.shape) +
                                                     ", the config needs " + shape_string(specs[i].shape));
        if (t.dtype == SourceDType::i64)
            throw Error(Status::invalid_weights, "tensor '" + t.name + "' has dtype I64, a floating-point tensor is needed");
        MappedTensor m{specs[i].name, specs[i].shape, specs[i].is_linear_weight, to_f32(t)};
        for (size_t e = 0; e < m.values.size(); ++e) {
            if (std::isfinite(m.values[e])) continue;
            throw Error(Status::invalid_weights, "tensor '" + t.name + "' contains " +
                                                     (std::isnan(m.values[e]) ? "NaN" : "Inf") + " at element " + std::to_string(e));
        }
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace edgembed::convert
