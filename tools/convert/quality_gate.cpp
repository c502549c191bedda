#include "tools/convert/quality_gate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "runtime/context.h"
#include "runtime/models/family.h"
#include "tools/convert/quality_sample.h"

namespace edgembed::convert {

std::vector<float> embed_quality_sample(const std::vector<uint8_t>& file_bytes, int* dim) {
    Context context(Model::load_from_memory(file_bytes.data(), file_bytes.size()));
    const std::vector<std::string_view> texts(std::begin(kQualitySample), std::end(kQualitySample));
    *dim = context.model().dimension();
    std::vector<float> out(texts.size() * static_cast<size_t>(*dim));
    context.embed(texts, EmbedOptions{}, out.data());
    return out;
}

QualityResult compare_embeddings(const std::vector<float>& reference, const std::vector<float>& candidate, int dim) {
    QualityResult r;
    const size_t d = static_cast<size_t>(dim), rows = reference.size() / d;
    double sum = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        double dot = 0.0, na = 0.0, nb = 0.0;
        for (size_t j = 0; j < d; ++j) {
            const double a = reference[i * d + j], b = candidate[i * d + j];
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        const double cosine = dot / std::max(std::sqrt(na * nb), 1e-30);
        sum += cosine;
        r.min_cosine = std::min(r.min_cosine, cosine);
    }
    r.mean_cosine = rows ? sum / static_cast<double>(rows) : 1.0;
    return r;
}

namespace {

std::set<std::string> linear_weights_of_layers(const models::TensorNames& tensor_names, const std::vector<int>& layers) {
    std::set<std::string> names;
    for (int layer : layers)
        for (const std::string& name : models::layer_linear_weights(tensor_names, layer)) names.insert(name);
    return names;
}

}  // namespace

GateOutcome run_quality_gate(const std::vector<uint8_t>& f32_bytes, const ModelConfig& config,
                             const std::function<std::vector<uint8_t>(const std::set<std::string>&)>& build,
                             double min_cosine, const NoteFn& note) {
    const int num_layers = config.num_layers;
    const models::TensorNames& tensor_names = models::family_for(config.architecture).names;
    int dim = 0;
    const std::vector<float> reference = embed_quality_sample(f32_bytes, &dim);
    auto measure = [&](const std::vector<uint8_t>& bytes) {
        int d = 0;
        return compare_embeddings(reference, embed_quality_sample(bytes, &d), dim);
    };
    GateOutcome outcome;
    outcome.file_bytes = build({});
    outcome.quality = measure(outcome.file_bytes);
    if (min_cosine <= 0.0 || outcome.quality.min_cosine >= min_cosine) return outcome;

    // Sensitivity of each encoder layer alone: quantize only that layer, everything else in f16.
    std::vector<std::pair<double, int>> sensitivity;
    for (int layer = 0; layer < num_layers; ++layer) {
        std::vector<int> others;
        for (int i = 0; i < num_layers; ++i)
            if (i != layer) others.push_back(i);
        sensitivity.push_back({measure(build(linear_weights_of_layers(tensor_names, others))).min_cosine, layer});
    }
    std::sort(sensitivity.begin(), sensitivity.end());  // the most damaging first
    for (const auto& [cosine, layer] : sensitivity) {
        outcome.f16_layers.push_back(layer);
        outcome.file_bytes = build(linear_weights_of_layers(tensor_names, outcome.f16_layers));
        outcome.quality = measure(outcome.file_bytes);
        if (note) {
            char line[160];
            std::snprintf(line, sizeof line, "quality gate: layer %d to f16 (alone in int8: min cosine %.5f); now mean %.5f, min %.5f",
                          layer, cosine, outcome.quality.mean_cosine, outcome.quality.min_cosine);
            note(line);
        }
        if (outcome.quality.min_cosine >= min_cosine) break;
    }
    std::sort(outcome.f16_layers.begin(), outcome.f16_layers.end());
    return outcome;
}

}  // namespace edgembed::convert
