#include "tools/convert/tensor_mapping.h"

#include <algorithm>
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
    // Stacked tensors (Family::stacked): each part's name -> (its tensor's index, its place among the parts).
    std::unordered_map<std::string, std::pair<size_t, size_t>> part_of;
    std::vector<std::vector<std::string>> part_names(specs.size());
    std::vector<std::vector<const SourceTensor*>> parts(specs.size());
    for (int layer = 0; layer < config.num_layers; ++layer) {
        const std::string p = models::layer_prefix(family.names, layer);
        for (const auto& [target, sources] : family.stacked)
            for (const char* suffix : {".weight", ".bias"}) {
                auto it = spec_index.find(p + target + suffix);
                if (it == spec_index.end()) continue;
                for (size_t j = 0; j < sources.size(); ++j) {
                    part_of[p + sources[j] + suffix] = {it->second, j};
                    part_names[it->second].push_back(p + sources[j] + suffix);
                }
                parts[it->second].assign(sources.size(), nullptr);
            }
    }

    std::vector<const SourceTensor*> found(specs.size(), nullptr);
    std::map<std::string, std::vector<std::string>> ignored;  // group -> checkpoint names
    std::vector<std::string> unknown;
    for (const SourceTensor& t : checkpoint.tensors()) {
        const std::string name = canonical_name(t.name, family.checkpoint_prefixes);
        if (auto part = part_of.find(name); part != part_of.end()) {
            const SourceTensor*& slot = parts[part->second.first][part->second.second];
            if (slot) throw Error(Status::invalid_checkpoint, "tensors '" + slot->name + "' and '" + t.name + "' both map to '" + name + "'");
            slot = &t;
            continue;
        }
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
    for (size_t i = 0; i < specs.size(); ++i) {
        for (size_t j = 0; j < parts[i].size(); ++j)
            if (!parts[i][j]) missing.push_back(part_names[i][j]);
        if (parts[i].empty() && !found[i]) missing.push_back(specs[i].name);
    }
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
        MappedTensor m{specs[i].name, specs[i].shape, specs[i].is_linear_weight, {}};
        const std::vector<const SourceTensor*> sources = parts[i].empty() ? std::vector<const SourceTensor*>{found[i]} : parts[i];
        int64_t rows = 0;
        for (const SourceTensor* t : sources) {
            // A part: the tensor's shape but for its rows, which add up to the tensor's.
            const bool shape_fits = parts[i].empty() ? t->shape == specs[i].shape
                                                     : t->shape.size() == specs[i].shape.size() && !t->shape.empty() &&
                                                           std::equal(t->shape.begin() + 1, t->shape.end(), specs[i].shape.begin() + 1);
            if (!shape_fits)
                throw Error(Status::invalid_weights, "tensor '" + t->name + "' has shape " + shape_string(t->shape) + ", the config needs " +
                                                         shape_string(specs[i].shape) + (parts[i].empty() ? "" : " (stacked with its siblings)"));
            rows += t->shape[0];
            if (t->dtype == SourceDType::i64)
                throw Error(Status::invalid_weights, "tensor '" + t->name + "' has dtype I64, a floating-point tensor is needed");
            const std::vector<float> values = to_f32(*t);
            for (size_t e = 0; e < values.size(); ++e) {
                if (std::isfinite(values[e])) continue;
                throw Error(Status::invalid_weights, "tensor '" + t->name + "' contains " + (std::isnan(values[e]) ? "NaN" : "Inf") +
                                                         " at element " + std::to_string(e));
            }
            m.values.insert(m.values.end(), values.begin(), values.end());
        }
        if (specs[i].is_norm_weight && family.norm_weight_offset != 0.0f)  // Gemma's (1 + w), in float as torch adds it
            for (float& v : m.values) v = v + family.norm_weight_offset;
        if (rows != specs[i].shape[0])
            throw Error(Status::invalid_weights, "tensors " + list_names(part_names[i], 8) + " have " + std::to_string(rows) +
                                                     " rows together, the config needs " + shape_string(specs[i].shape) + " for '" +
                                                     specs[i].name + "'");
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace edgembed::convert
