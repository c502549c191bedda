#include "tools/convert/quality_gate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <string_view>

#include "runtime/context.h"
#include "runtime/models/family.h"
#include "tools/convert/quality_sample.h"

namespace edgembed::convert {

std::vector<float> embed_quality_sample(const std::vector<uint8_t>& file_bytes, int* dim,
                                        const models::LinearInputObserver& observer) {
    Context context(Model::load_from_memory(file_bytes.data(), file_bytes.size()));
    const std::vector<std::string_view> texts(std::begin(kQualitySample), std::end(kQualitySample));
    *dim = context.model().dimension();
    std::vector<float> out(texts.size() * static_cast<size_t>(*dim));
    EmbedOptions options;
    options.observe_linear_inputs = observer;
    context.embed(texts, options, out.data());
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

// A unit the gate can move to f16: one FFN output projection, or every linear weight of a layer.
struct FallbackUnit {
    std::string label;
    std::set<std::string> weights;
};

std::set<std::string> joined(const std::vector<const FallbackUnit*>& units) {
    std::set<std::string> names;
    for (const FallbackUnit* unit : units) names.insert(unit->weights.begin(), unit->weights.end());
    return names;
}

// The linear weights of `layer` whose input is `input` (q, k and v share theirs).
std::vector<std::string> linear_weights_of(const models::TensorNames& names, int layer, models::LinearInput input) {
    std::vector<const std::string*> linears;
    switch (input) {
        case models::LinearInput::qkv: linears = {&names.query, &names.key, &names.value}; break;
        case models::LinearInput::attention_out: linears = {&names.attention_out}; break;
        case models::LinearInput::ffn_in: linears = {&names.ffn_in}; break;
        case models::LinearInput::ffn_out: linears = {&names.ffn_out}; break;
    }
    std::vector<std::string> out;
    for (const std::string* linear : linears)
        if (!linear->empty()) out.push_back(models::layer_prefix(names, layer) + *linear + ".weight");
    return out;
}

// The linear inputs that get outlier channels. The FFN output projections' (GELU outputs) are heavy-tailed in
// every layer of the models measured. The attention and FFN inputs of post-LN blocks (the LayerNorm output,
// also the residual) carry a few channels of large |x| in every token, which set the per-token int8 scale of
// all the others: all-mpnet-base-v2's value projection alone cost 0.0005 of mean cosine on held-out text
// through its input's quantization (bench/probes/mpnet_fakequant.py; outlier_channels.py for the count).
constexpr models::LinearInput kOutlierInputs[] = {models::LinearInput::qkv, models::LinearInput::ffn_in,
                                                  models::LinearInput::ffn_out};

// Per (layer, linear input): the largest |x| each input channel took on the sample.
using ChannelMaxima = std::map<std::pair<int, models::LinearInput>, std::vector<float>>;

// The outlier channels of every linear input in kOutlierInputs: its `count` channels of largest max |x| on the
// sample, in increasing channel order, for every weight that reads it (q, k and v the same ones, so that they
// stay one fused layer). Every layer: a threshold on max / median would not pick the layers that hurt most
// (all-mpnet-base-v2's FFN outputs in layers 4 and 5: 7x and 11x, against 75x in layer 7). Choosing by |x| beat
// choosing by |x| * ||W column|| (STS-B test min cosine 0.9955 against 0.9923).
void choose_outlier_channels(const ChannelMaxima& maxima, const models::TensorNames& names, int count, Int8Plan& plan,
                             std::vector<std::string>& report) {
    for (const auto& entry : maxima) {  // not a structured binding: clang 14 cannot capture one in the lambda below
        const std::pair<int, models::LinearInput>& where = entry.first;
        const std::vector<float>& m = entry.second;
        if (m.empty() || count <= 0) continue;
        std::vector<float> sorted = m;
        std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
        const double median = sorted[sorted.size() / 2], largest = *std::max_element(m.begin(), m.end());
        std::vector<int32_t> order(m.size());
        for (size_t c = 0; c < m.size(); ++c) order[c] = static_cast<int32_t>(c);
        const size_t k = std::min(static_cast<size_t>(count), m.size());
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) { return m[a] > m[b]; });
        order.resize(k);
        std::sort(order.begin(), order.end());
        std::string weights;
        for (const std::string& weight : linear_weights_of(names, where.first, where.second)) {
            plan.outlier_channels[weight] = order;
            weights += (weights.empty() ? "" : ", ") + weight;
        }
        char line[512];
        std::snprintf(line, sizeof line, "%s: %zu of %zu input channels in f32 (max |x| %.3g, median channel %.3g)",
                      weights.c_str(), k, m.size(), largest, median);
        report.push_back(line);
    }
}

}  // namespace

GateOutcome run_quality_gate(const std::vector<uint8_t>& f32_bytes, const ModelConfig& config,
                             const std::function<std::vector<uint8_t>(const Int8Plan&)>& build, int outlier_channels,
                             double min_cosine, const NoteFn& note) {
    const models::Family& family = models::family_for(config.architecture);
    const models::TensorNames& names = family.names;
    // Only a family whose layout has outlier channels gets them (ModernBERT's has none yet).
    if (family.layout_revision < models::kOutlierChannelsRevision) outlier_channels = 0;
    int dim = 0;
    // The reference embeddings, and the calibration: the input channel maxima of kOutlierInputs.
    ChannelMaxima maxima;
    const std::vector<float> reference = embed_quality_sample(
        f32_bytes, &dim, [&](int layer, models::LinearInput input, const float* x, size_t rows, size_t width) {
            if (std::find(std::begin(kOutlierInputs), std::end(kOutlierInputs), input) == std::end(kOutlierInputs)) return;
            std::vector<float>& m = maxima[{layer, input}];
            m.resize(width, 0.0f);
            for (size_t i = 0; i < rows; ++i)
                for (size_t c = 0; c < width; ++c) m[c] = std::max(m[c], std::fabs(x[i * width + c]));
        });
    GateOutcome outcome;
    Int8Plan base;
    choose_outlier_channels(maxima, names, outlier_channels, base, outcome.outlier_channels);
    for (const std::string& line : outcome.outlier_channels)
        if (note) note("quality gate: outlier channels: " + line);
    auto measure = [&](const std::set<std::string>& keep_f16, std::vector<uint8_t>* bytes = nullptr) {
        Int8Plan plan = base;
        plan.keep_f16 = keep_f16;
        std::vector<uint8_t> built = build(plan);
        int d = 0;
        const QualityResult r = compare_embeddings(reference, embed_quality_sample(built, &d), dim);
        if (bytes) *bytes = std::move(built);
        return r;
    };
    outcome.quality = measure({}, &outcome.file_bytes);
    if (min_cosine <= 0.0 || outcome.quality.min_cosine >= min_cosine) return outcome;

    // Two stages, each most damaging unit first. The FFN output projections come first: their inputs (GELU
    // outputs) carry the outlier channels of the attention-sink tokens that per-token int8 activations
    // cannot resolve (all-mpnet-base-v2: layers 4 and 5 alone cost 0.05 of cosine on short texts), and
    // each is a sixth of a layer's weights. Whole layers follow if that is not enough.
    std::vector<FallbackUnit> projections, layers;
    for (int layer = 0; layer < config.num_layers; ++layer) {
        const std::vector<std::string> weights = models::layer_linear_weights(names, layer);
        projections.push_back({models::layer_prefix(names, layer) + names.ffn_out + ".weight",
                               {models::layer_prefix(names, layer) + names.ffn_out + ".weight"}});
        layers.push_back({"layer " + std::to_string(layer), {weights.begin(), weights.end()}});
    }
    std::vector<const FallbackUnit*> chosen;
    for (const std::vector<FallbackUnit>* stage : {&projections, &layers}) {
        // Sensitivity of each unit alone: only it in int8, the rest of the stage and the units chosen so far in f16.
        std::vector<std::pair<QualityResult, const FallbackUnit*>> sensitivity;
        for (const FallbackUnit& unit : *stage) {
            std::vector<const FallbackUnit*> others = chosen;
            for (const FallbackUnit& other : *stage)
                if (&other != &unit) others.push_back(&other);
            sensitivity.push_back({measure(joined(others)), &unit});
        }
        // The most damaging first, by mean cosine: on a sample of 32 texts the mean ranks more stably than the min.
        std::sort(sensitivity.begin(), sensitivity.end(),
                  [](const auto& a, const auto& b) { return a.first.mean_cosine < b.first.mean_cosine; });
        for (const auto& [alone, unit] : sensitivity) {
            chosen.push_back(unit);
            outcome.quality = measure(joined(chosen), &outcome.file_bytes);
            outcome.f16_fallback.push_back(unit->label);
            if (note) {
                char line[256];
                std::snprintf(line, sizeof line, "quality gate: %s to f16 (alone in int8: mean cosine %.6f, min %.5f); now mean %.6f, min %.5f",
                              unit->label.c_str(), alone.mean_cosine, alone.min_cosine, outcome.quality.mean_cosine,
                              outcome.quality.min_cosine);
                note(line);
            }
            if (outcome.quality.min_cosine >= min_cosine) return outcome;
        }
    }
    return outcome;
}

}  // namespace edgembed::convert
