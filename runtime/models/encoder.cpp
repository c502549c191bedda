#include "runtime/models/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "quant/attention_bf16.h"
#include "quant/f32_gemm.h"
#include "base/error.h"
#include "base/thread_pool.h"
#include "runtime/models/family.h"
#include "simd/isa.h"
#include "simd/kernels.h"


namespace edgembed::models {

namespace {

template <class T>
T* grow(std::vector<T>& buffer, size_t size) {
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

[[noreturn]] void bad_tensor(const std::string& name, const std::string& what) {
    throw Error(Status::corrupt_model_file, "tensor '" + name + "' " + what);
}

// Which stored dtypes a tensor may have: linear weights f32 / f16 / qc8, embedding tables f32 / f16,
// vectors (biases, LayerNorm) f32.
void check_tensor(const model_file::ModelFile& file, const TensorSpec& spec) {
    if (!file.has(spec.name)) throw Error(Status::corrupt_model_file, "model file lacks tensor '" + spec.name + "'");
    const model_file::TensorView& t = file.describe(spec.name);
    if (t.shape != spec.shape) bad_tensor(spec.name, "has the wrong shape for the model config");
    const bool matrix = spec.shape.size() == 2;
    const bool ok = t.dtype == DType::f32 || (matrix && t.dtype == DType::f16) ||
                    (spec.is_linear_weight && t.dtype == DType::qc8);
    if (!ok) bad_tensor(spec.name, std::string("has dtype ") + dtype_name(t.dtype) + ", which it cannot have");
    if (t.dtype == DType::qc8) {
        const std::string scales = qc8_scales_name(spec.name);
        if (!file.has(scales)) throw Error(Status::corrupt_model_file, "model file lacks tensor '" + scales + "'");
        const model_file::TensorView& s = file.describe(scales);
        if (s.dtype != DType::f32 || s.shape != std::vector<int64_t>{spec.shape[0]})
            bad_tensor(scales, "must be f32 with one scale per output channel");
    }
    // Optional outlier channels (checked in full by quant::make_linear): both tensors, on int8 weights only.
    const bool channels = file.has(qc8_outlier_channels_name(spec.name)), columns = file.has(qc8_outlier_columns_name(spec.name));
    if ((channels || columns) && t.dtype != DType::qc8) bad_tensor(spec.name, "has outlier channels but is not int8");
    if (channels != columns)
        throw Error(Status::corrupt_model_file, "model file lacks tensor '" +
                                                    (channels ? qc8_outlier_columns_name(spec.name) : qc8_outlier_channels_name(spec.name)) + "'");
}

// A linear weight's outlier channels (quant::OutlierChannels), when the file has them.
std::optional<quant::OutlierChannels> outlier_channels(const model_file::ModelFile& file, const std::string& weight) {
    if (!file.has(qc8_outlier_channels_name(weight))) return std::nullopt;
    return quant::OutlierChannels{file.tensor(qc8_outlier_channels_name(weight)), file.tensor(qc8_outlier_columns_name(weight))};
}

}  // namespace

namespace {

// bf16 attention for int8 models on every ISA (AVX512-BF16 or its exact emulation: the same bits everywhere,
// quant/attention_bf16.h): their error budget (cosine >= 0.995 mean against f32) has room for it, while f32
// and f16 models keep f32 attention to stay at their bounds. EDGEMBED_ATTENTION=f32 turns it off (then int8
// vectors differ across ISAs in the last bits that per-token quantization amplifies).
bool use_bf16_attention(const ModelConfig& config) {
    if (config.weight_dtype != "int8" || config.head_dim() % 2 != 0) return false;
    const char* choice = std::getenv("EDGEMBED_ATTENTION");
    if (choice == nullptr || *choice == '\0' || std::string(choice) == "auto") return true;
    if (std::string(choice) == "f32") return false;
    if (std::string(choice) == "bf16") return true;
    throw Error(Status::invalid_argument, std::string("EDGEMBED_ATTENTION=") + choice + ": expected auto, f32 or bf16");
}

// The outlier channels of q, k and v when all three have the same ones (indices, byte for byte); nullopt when
// none has any. Sets *same to false when they differ (then they cannot be fused).
std::optional<std::vector<uint8_t>> shared_outlier_channels(const model_file::ModelFile& file, const std::string (&names)[3],
                                                            bool* same) {
    std::optional<std::vector<uint8_t>> shared;
    *same = true;
    for (int i = 0; i < 3; ++i) {
        const std::string name = qc8_outlier_channels_name(names[i] + ".weight");
        std::optional<std::vector<uint8_t>> these;
        if (file.has(name)) {
            const model_file::TensorView& t = file.tensor(name);
            const auto* bytes = static_cast<const uint8_t*>(t.data);
            these.emplace(bytes, bytes + t.nbytes);
        }
        if (i == 0) shared = these;
        else if (these != shared) *same = false;
    }
    return shared;
}

// Query, key and value as one [3h, h] layer, when their weights share a dtype (and, int8, their outlier
// channels): the input is read (and for int8 quantized) once, in one parallel region. The layer keeps the
// stacked copies it runs on (the weights only while its back end reads them: the packed ones have their own copy).
bool fuse_qkv(const model_file::ModelFile& file, const std::string (&names)[3], Layer& layer,
              quant::WeightArena& arena, std::vector<const model_file::TensorView*>& packed_sources) {
    const DType dtype = file.describe(names[0] + ".weight").dtype;
    for (const std::string& name : names)
        if (file.describe(name + ".weight").dtype != dtype) return false;
    bool same_outliers = true;
    const std::optional<std::vector<uint8_t>> outlier_channels = shared_outlier_channels(file, names, &same_outliers);
    if (!same_outliers) return false;
    std::vector<float> outlier_columns;  // [3h, K]: each weight's [rows, K] columns stacked
    size_t bytes_total = 0;
    for (const std::string& name : names) bytes_total += file.describe(name + ".weight").nbytes;
    layer.qkv_weight.reserve(bytes_total);
    int64_t rows = 0, columns = 0;
    for (const std::string& name : names) {
        const model_file::TensorView& w = file.tensor(name + ".weight");
        const auto* bytes = static_cast<const uint8_t*>(w.data);
        layer.qkv_weight.insert(layer.qkv_weight.end(), bytes, bytes + w.nbytes);
        const auto* bias = static_cast<const float*>(file.tensor(name + ".bias").data);
        layer.qkv_bias.insert(layer.qkv_bias.end(), bias, bias + w.shape[0]);
        if (dtype == DType::qc8) {
            const auto* scales = static_cast<const float*>(file.tensor(qc8_scales_name(name + ".weight")).data);
            layer.qkv_scales.insert(layer.qkv_scales.end(), scales, scales + w.shape[0]);
        }
        if (outlier_channels) {
            const model_file::TensorView& c = file.tensor(qc8_outlier_columns_name(name + ".weight"));
            const auto* values = static_cast<const float*>(c.data);
            outlier_columns.insert(outlier_columns.end(), values, values + c.nbytes / sizeof(float));
        }
        rows += w.shape[0];
        columns = w.shape[1];
    }
    const model_file::TensorView weight{dtype, {rows, columns}, layer.qkv_weight.data(), layer.qkv_weight.size()};
    const model_file::TensorView scales{DType::f32, {rows}, layer.qkv_scales.data(), layer.qkv_scales.size() * sizeof(float)};
    std::optional<quant::OutlierChannels> outliers;
    if (outlier_channels) {  // make_linear checks the shapes and copies both
        const int64_t k = static_cast<int64_t>(outlier_channels->size() / sizeof(int32_t));
        outliers = quant::OutlierChannels{
            {DType::i32, {k}, outlier_channels->data(), outlier_channels->size()},
            {DType::f32, {rows, k}, outlier_columns.data(), outlier_columns.size() * sizeof(float)}};
    }
    for (const std::string& name : names) file.release_pages(file.tensor(name + ".weight"));  // copied above
    for (const std::string& name : names) packed_sources.push_back(&file.tensor(name + ".weight"));
    layer.qkv = quant::make_linear(weight, dtype == DType::qc8 ? &scales : nullptr, layer.qkv_bias.data(), arena,
                                   outliers ? &*outliers : nullptr);
    if (!layer.qkv->reads_source_weights()) std::vector<uint8_t>().swap(layer.qkv_weight);
    return true;
}

}  // namespace

namespace {

// The parts of a spec this runtime implements; the rest of EncoderSpec is room for later families.
void require_implemented(const EncoderSpec& s, const std::string& family) {
    auto refuse = [&](const char* what) {
        throw Error(Status::unsupported_architecture, "model family '" + family + "': " + what + " is not implemented in this runtime");
    };
    if (s.ffn != FfnKind::gelu && !gated_ffn(s)) refuse("an FFN other than the erf GELU, GeGLU (erf or tanh form) or SwiGLU");
    const bool modern = s.placement == NormPlacement::pre;  // pre-norm, rotary, a gated FFN, final norm come together
    if (modern != (s.positions == PositionKind::rotary) || gated_ffn(s) != modern || s.final_norm != modern)
        refuse("this mix of norm placement, positions, FFN and final norm");
    if (!s.first_attention_norm && !modern) refuse("a post-LN block without its first norm");
    if (s.positions == PositionKind::rotary && s.token_types) refuse("token types with rotary positions");
    if (!modern && (s.norm != NormKind::layer_norm || s.causal || s.qk_norm))
        refuse("RMSNorm, causal attention or QK norms in a post-LN block");
    if (s.norm == NormKind::rms_norm && s.biases) refuse("RMSNorm with biases");
    if (s.qk_norm && s.norm != NormKind::rms_norm) refuse("QK norms in a LayerNorm family");
    if (s.block_output_norm && (!modern || s.norm != NormKind::rms_norm))
        refuse("sublayer output norms other than RMSNorm in a pre-norm block");
    if (!(s.embedding_scale > 0.0f) || !std::isfinite(s.embedding_scale)) refuse("an embedding scale that is not a positive number");
    if (!(s.logit_scalar_positive())) refuse("an attention scalar that is not a positive number");
}

}  // namespace

Encoder::Encoder(const model_file::ModelFile& file) : config_(file.config()) {
    const Family& family = family_for(config_.architecture);
    const int newest = std::max(family.layout_revision, kDenseModulesRevision);  // Dense modules: any family
    if (config_.layout_revision > newest)
        throw Error(Status::unsupported_version, "model file: the " + config_.architecture + " layout revision " +
                                                     std::to_string(config_.layout_revision) + " is newer than this runtime's (" +
                                                     std::to_string(newest) + "); update edgembed");
    spec_ = family.spec(config_);
    require_implemented(spec_, config_.architecture);
    tiled_attention_ = spec_.placement == NormPlacement::pre;
    if (!tiled_attention_ && (config_.kv_heads() != config_.num_heads || config_.query_width() != config_.hidden_size))
        throw Error(Status::unsupported_architecture, "model family '" + config_.architecture +
                                                          "': grouped-query attention or a head_dim apart from hidden_size / "
                                                          "num_heads in a post-LN block is not implemented in this runtime");
    const size_t widest_out = static_cast<size_t>(std::max({3 * config_.hidden_size, config_.query_width() + 2 * config_.kv_width(),
                                                            2 * config_.intermediate_size}));
    if (!spec_.biases) zeros_.assign(widest_out, 0.0f);
    if (max_tokens() < 2) throw Error(Status::invalid_config, "model config: the position table leaves no room for a text");
    quant::apply_isa_cap_to_backends();
    attention_bf16_ = use_bf16_attention(config_);
    for (const TensorSpec& t : tensor_specs(spec_, family.names, config_)) check_tensor(file, t);
    const TensorNames& n = family.names;
    auto copy = [&](const model_file::TensorView& t) {
        std::vector<float>& owned = small_tensors_.emplace_back(t.nbytes / sizeof(float));
        std::memcpy(owned.data(), t.data, t.nbytes);
        return owned.data();
    };
    auto vector = [&](const std::string& name) { return copy(file.tensor(name)); };
    // A bias (of a norm or a linear layer), or zeros for a family without them.
    auto bias = [&](const std::string& prefix) { return spec_.biases ? vector(prefix + ".bias") : zeros_.data(); };
    auto table = [&](const std::string& name) {  // rows are read with pread: its pages need not stay resident
        const model_file::TensorView& t = file.tensor(name + ".weight");
        file.release_pages(t);
        return Table{&file, &t};
    };
    word_ = table(n.word_embeddings);
    if (spec_.positions != PositionKind::rotary) position_ = table(n.position_embeddings);
    if (spec_.token_types) token_type_ = table(n.token_type_embeddings);
    if (spec_.embedding_norm) {
        emb_gamma_ = vector(n.embedding_norm + ".weight");
        emb_beta_ = bias(n.embedding_norm);
    }
    if (spec_.final_norm) {
        final_gamma_ = vector(n.final_norm + ".weight");
        final_beta_ = bias(n.final_norm);
    }
    if (spec_.positions == PositionKind::rotary) rotary_tables();
    if (spec_.positions == PositionKind::learned_relative_bias) {
        const Table bias = table(n.relative_attention_bias);
        const size_t heads = static_cast<size_t>(config_.num_heads);
        relative_attention_bias_.resize(static_cast<size_t>(spec_.relative_buckets) * heads);
        std::vector<uint16_t> scratch;
        for (size_t b = 0; b < static_cast<size_t>(spec_.relative_buckets); ++b)
            bias.row(b, heads, relative_attention_bias_.data() + b * heads, scratch);
    }

    std::vector<const model_file::TensorView*> packed_sources;
    auto linear = [&](const std::string& prefix) {
        const model_file::TensorView& w = file.tensor(prefix + ".weight");
        model_file::TensorView scales;
        if (w.dtype == DType::qc8) {
            scales = file.tensor(qc8_scales_name(prefix + ".weight"));
            scales.data = copy(scales);
        }
        const std::optional<quant::OutlierChannels> outliers = outlier_channels(file, prefix + ".weight");
        std::unique_ptr<quant::Linear> made = quant::make_linear(w, w.dtype == DType::qc8 ? &scales : nullptr, bias(prefix),
                                                                 packed_weights_, outliers ? &*outliers : nullptr);
        if (!made->reads_source_weights()) {  // the packed copy is what runs
            file.release_pages(w);
            packed_sources.push_back(&w);
        }
        return made;
    };
    // A stored [3h, h] query-key-value layer as a query layer (rows 0..h) and a key-value one (h..3h): a
    // pre-LN block projects the keys and values of every token first, then the queries a chunk at a time.
    auto split_qkv = [&](const std::string& prefix, Layer& layer) {
        const model_file::TensorView& w = file.tensor(prefix + ".weight");
        const int64_t q = config_.query_width(), kv = config_.kv_width();
        const size_t row_bytes = w.nbytes / static_cast<size_t>(w.shape[0]);
        const float* scales = w.dtype == DType::qc8 ? copy(file.tensor(qc8_scales_name(prefix + ".weight"))) : nullptr;
        const std::optional<quant::OutlierChannels> outliers = outlier_channels(file, prefix + ".weight");
        if (outliers && (outliers->columns.shape.size() != 2 || outliers->columns.shape[0] != w.shape[0] ||
                         outliers->columns.dtype != DType::f32))
            throw Error(Status::corrupt_model_file, prefix + ".weight: its outlier columns must be f32 [outputs, K]");
        auto rows = [&](int64_t first, int64_t count) {
            const model_file::TensorView part{w.dtype, {count, w.shape[1]}, static_cast<const uint8_t*>(w.data) + first * row_bytes,
                                              static_cast<size_t>(count) * row_bytes};
            const model_file::TensorView part_scales{DType::f32, {count}, scales ? scales + first : nullptr,
                                                     static_cast<size_t>(count) * sizeof(float)};
            const float* part_bias = spec_.biases ? vector(prefix + ".bias") + first : zeros_.data();
            std::optional<quant::OutlierChannels> part_outliers;
            if (outliers) {  // the same channels; the rows of their f32 columns
                const model_file::TensorView& c = outliers->columns;
                const size_t column_row_bytes = c.nbytes / static_cast<size_t>(c.shape[0]);
                part_outliers = quant::OutlierChannels{
                    outliers->channels, {c.dtype, {count, c.shape[1]}, static_cast<const uint8_t*>(c.data) + first * column_row_bytes,
                                         static_cast<size_t>(count) * column_row_bytes}};
            }
            return quant::make_linear(part, scales ? &part_scales : nullptr, part_bias, packed_weights_,
                                      part_outliers ? &*part_outliers : nullptr);
        };
        layer.query = rows(0, q);
        layer.key_value = rows(q, 2 * kv);
        if (!layer.query->reads_source_weights() && !layer.key_value->reads_source_weights()) {
            file.release_pages(w);
            packed_sources.push_back(&w);
        }
    };
    for (int i = 0; i < config_.num_layers; ++i) {
        const std::string p = layer_prefix(n, i);
        Layer layer;
        const std::string names[3] = {p + n.query, p + n.key, p + n.value};
        if (n.key.empty() && spec_.placement == NormPlacement::pre) {
            split_qkv(p + n.query, layer);
        } else if (n.key.empty()) {
            layer.qkv = linear(p + n.query);  // stored as one [3h, h] layer
        } else if (!fuse_qkv(file, names, layer, packed_weights_, packed_sources)) {
            layer.query = linear(names[0]);
            layer.key = linear(names[1]);
            layer.value = linear(names[2]);
        }
        layer.attention_out = linear(p + n.attention_out);
        layer.ffn_in = linear(p + n.ffn_in);
        layer.ffn_out = linear(p + n.ffn_out);
        const bool attention_norm = i > 0 || spec_.first_attention_norm;
        layer.ln1_gamma = attention_norm ? vector(p + n.attention_norm + ".weight") : nullptr;
        layer.ln1_beta = attention_norm ? bias(p + n.attention_norm) : nullptr;
        layer.ln2_gamma = vector(p + n.ffn_norm + ".weight");
        layer.ln2_beta = bias(p + n.ffn_norm);
        if (spec_.qk_norm) {
            layer.q_norm = vector(p + n.query_norm + ".weight");
            layer.k_norm = vector(p + n.key_norm + ".weight");
        }
        if (spec_.block_output_norm) {
            layer.attention_output_norm = vector(p + n.attention_output_norm + ".weight");
            layer.ffn_output_norm = vector(p + n.ffn_output_norm + ".weight");
        }
        if (!layer.key_value) (layer.qkv ? any_fused_qkv_ : any_separate_qkv_) = true;
        layers_.push_back(std::move(layer));
    }
    // Again, all of them: reading a neighbour (a bias, the next weight) mapped whole large folios back in.
    for (const model_file::TensorView* source : packed_sources) file.release_pages(*source);
}

std::vector<const char*> Encoder::linear_kinds() const {
    std::vector<const char*> kinds;
    for (const Layer& l : layers_) {
        if (l.qkv) kinds.insert(kinds.end(), 3, l.qkv->kind());
        if (l.key_value) kinds.insert(kinds.end(), 2, l.key_value->kind());
        for (const auto* linear : {&l.query, &l.key, &l.value, &l.attention_out, &l.ffn_in, &l.ffn_out})
            if (*linear) kinds.push_back((*linear)->kind());
    }
    return kinds;
}

void Encoder::Table::row(size_t index, size_t width, float* out, std::vector<uint16_t>& scratch) const {
    if (view->dtype == DType::f16) {
        scratch.resize(width);
        file->read(*view, index * width * sizeof(uint16_t), width * sizeof(uint16_t), scratch.data());
        simd::kernels().f16_to_f32(scratch.data(), out, width);
    } else {
        file->read(*view, index * width * sizeof(float), width * sizeof(float), out);
    }
}

void Encoder::embed_tokens(const int32_t* ids, const int64_t* offsets, int num_texts, float* out) const {
    const simd::Kernels& k = simd::kernels();
    const size_t h = static_cast<size_t>(config_.hidden_size);
    std::vector<float> sum(h), position(h), token_type(h);
    std::vector<uint16_t> scratch;
    if (spec_.token_types) token_type_.row(0, h, token_type.data(), scratch);  // token type 0: single-text inputs
    const int padding_idx = spec_.position_padding_idx;
    for (int t = 0; t < num_texts; ++t) {
        const int64_t length = offsets[t + 1] - offsets[t];
        if (length > max_tokens())
            throw Error(Status::limit_exceeded, "text of " + std::to_string(length) + " tokens exceeds the model's " +
                                                    std::to_string(max_tokens()) + " positions");
        int64_t counted = 0;  // tokens so far that are not padding_idx (RoBERTa-style positions)
        for (int64_t p = 0; p < length; ++p) {
            const int32_t id = ids[offsets[t] + p];
            if (id < 0 || id >= config_.vocab_size)
                throw Error(Status::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary");
            int64_t row = p;
            if (padding_idx >= 0) row = id == padding_idx ? padding_idx : padding_idx + ++counted;
            float* y = out + static_cast<size_t>(offsets[t] + p) * h;
            word_.row(static_cast<size_t>(id), h, sum.data(), scratch);
            if (spec_.positions != PositionKind::rotary) {
                position_.row(static_cast<size_t>(row), h, position.data(), scratch);
                k.f32_add(sum.data(), position.data(), sum.data(), h);
            }
            if (spec_.token_types) k.f32_add(sum.data(), token_type.data(), sum.data(), h);
            if (spec_.embedding_scale != 1.0f) k.f32_scale(sum.data(), spec_.embedding_scale, sum.data(), h);
            if (spec_.embedding_norm) k.f32_layernorm(sum.data(), emb_gamma_, emb_beta_, config_.layer_norm_eps, y, h);
            else std::memcpy(y, sum.data(), h * sizeof(float));
        }
    }
}

namespace {

// transformers' MPNet relative_position_bucket (bidirectional), in float32 as torch computes it.
int relative_bucket(int64_t relative_position, int buckets, int max_distance) {
    const int half = buckets / 2, max_exact = half / 2;
    int64_t n = -relative_position;
    const int base = n < 0 ? half : 0;
    n = n < 0 ? -n : n;
    if (n < max_exact) return base + static_cast<int>(n);
    const float large = std::log(static_cast<float>(n) / static_cast<float>(max_exact)) /
                        static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact)) *
                        static_cast<float>(half - max_exact);
    return base + std::min(max_exact + static_cast<int>(large), half - 1);
}

}  // namespace

void Encoder::relative_bias(size_t longest, Workspace& ws) const {
    const size_t heads = static_cast<size_t>(config_.num_heads), span = 2 * longest - 1;
    float* out = grow(ws.relative_bias, heads * span);
    // The softmax computes scale * (QK^T + b'); with b' = b * sqrt(d) that is (QK^T / sqrt(d) + b) times the
    // temperature factors, the authors' softmax((QK^T / sqrt(d) + M) / tau).
    const float unscale = std::sqrt(static_cast<float>(spec_.logit_scalar(config_)));
    for (size_t r = 0; r < span; ++r) {
        const int64_t distance = static_cast<int64_t>(r) - static_cast<int64_t>(longest - 1);  // key - query
        const int bucket = relative_bucket(distance, spec_.relative_buckets, spec_.relative_max_distance);
        for (size_t head = 0; head < heads; ++head)
            out[head * span + r] = relative_attention_bias_[static_cast<size_t>(bucket) * heads + head] * unscale;
    }
}

size_t Encoder::workspace_bytes(size_t tokens, size_t longest, size_t threads) const {
    const size_t h = static_cast<size_t>(config_.hidden_size), ffn = static_cast<size_t>(config_.intermediate_size);
    // The fused QKV layer's 3h outputs, the pre-LN query and key-value layers', or the FFN's.
    const size_t widest = std::max({3 * h, static_cast<size_t>(config_.query_width()), 2 * static_cast<size_t>(config_.kv_width()),
                                    ffn * (gated_ffn(spec_) ? 2 : 1)});
    const size_t workers = std::max<size_t>(threads, 1);  // attention's per-worker scratch
    // Post-LN q, k, v: one [tokens, 3h] buffer when fused, three [tokens, h] when not, both when mixed.
    const size_t qkv = (any_fused_qkv_ ? 3 : 0) + (any_separate_qkv_ ? 3 : 0);
    const size_t scores = tiled_attention_ ? 0 : workers * longest * longest;  // the tiled kernel keeps none
    const size_t rows = linear_rows(tokens);  // a pre-LN block's linear layers run in chunks
    const bool pre = spec_.placement == NormPlacement::pre;
    const size_t qw = static_cast<size_t>(config_.query_width()), kvw = static_cast<size_t>(config_.kv_width());
    // Pre-LN: x, keys and values of every token; a chunk's queries and normed rows. Post-LN: x, attention's output,
    // q / k / v, the residual rows.
    const size_t floats = (pre ? tokens * (h + 2 * kvw) + rows * (qw + h) : (2 + qkv) * tokens * h + rows * h) +
                          rows * ffn * (gated_ffn(spec_) ? 2 : 1) + scores;
    // int8 linear layers: u8 activations, s32 accumulators, a scale and a zero point per row.
    const size_t linear = rows * widest * (sizeof(uint8_t) + sizeof(int32_t)) + rows * (sizeof(float) + sizeof(int32_t));
    const size_t bf16 = attention_bf16_ && !tiled_attention_
                            ? workers * quant::bf16_attention_scratch_bytes(longest, static_cast<size_t>(config_.head_dim()))
                            : 0;
    const size_t bias = relative_attention_bias_.empty() ? 0 : static_cast<size_t>(config_.num_heads) * (2 * longest) * sizeof(float);
    return floats * sizeof(float) + linear + bf16 + bias;
}

void Encoder::attention(const float* q_all, const float* k_all, const float* v_all, size_t ld, const int64_t* offsets,
                        int num_texts, const float* logit_scales, float layer_factor, Workspace& ws) const {
    const size_t h = static_cast<size_t>(config_.hidden_size);
    const int heads = config_.num_heads;
    const size_t d = static_cast<size_t>(config_.head_dim());
    int64_t longest = 0;
    for (int t = 0; t < num_texts; ++t) longest = std::max(longest, offsets[t + 1] - offsets[t]);
    const size_t workers = std::max<size_t>(ws.threads, 1);
    float* scores_all = grow(ws.scores, static_cast<size_t>(workers) * longest * longest);
    const size_t bf16_bytes = attention_bf16_ ? quant::bf16_attention_scratch_bytes(static_cast<size_t>(longest), d) : 0;
    uint8_t* bf16_all = attention_bf16_ ? grow(ws.attention_bf16, static_cast<size_t>(workers) * bf16_bytes) : nullptr;
    const simd::Kernels& k = simd::kernels();
    // One task per (text, head): each owns disjoint columns of its text's output rows.
    const int tasks = num_texts * heads;
    auto run_task = [&](int task, size_t worker) {
        float* scores = scores_all + worker * static_cast<size_t>(longest * longest);
        uint8_t* bf16_scratch = attention_bf16_ ? bf16_all + worker * bf16_bytes : nullptr;
        const int t = task / heads, head = task % heads;
        const size_t first = static_cast<size_t>(offsets[t]);
        const size_t length = static_cast<size_t>(offsets[t + 1] - offsets[t]);
        const size_t column = static_cast<size_t>(head) * d;
        const float* q = q_all + first * ld + column;
        const float* key = k_all + first * ld + column;
        const float* v = v_all + first * ld + column;
        float* context = ws.attention.data() + first * h + column;
        if (bf16_scratch) {
            quant::bf16_attention_scores(q, key, ld, length, d, scores, length, bf16_scratch);
        } else {
            quant::f32_gemm(q, ld, key, ld, /*b_transposed=*/true, 1.0f, scores, length, length, length, d);
        }
        if (!relative_attention_bias_.empty()) {
            // Row i gets the biases of distances -i .. length-1-i: a contiguous slice of the head's span.
            const size_t span = 2 * static_cast<size_t>(longest) - 1;
            const float* bias = ws.relative_bias.data() + static_cast<size_t>(head) * span + static_cast<size_t>(longest - 1);
            for (size_t row = 0; row < length; ++row)
                k.f32_add(scores + row * length, bias - row, scores + row * length, length);
        }
        const float scale = logit_scales[t] * layer_factor;
        for (size_t row = 0; row < length; ++row)
            k.f32_softmax(scores + row * length, nullptr, scale, scores + row * length, length);
        if (bf16_scratch) {
            quant::bf16_attention_context(scores, length, v, ld, length, d, context, h, bf16_scratch);
        } else {
            quant::f32_gemm(scores, length, v, ld, /*b_transposed=*/false, 1.0f, context, h, length, d, length);
        }
    };
    parallel_for(workers, static_cast<size_t>(tasks), 1, [&](size_t first, size_t end, size_t worker) {
        for (size_t task = first; task < end; ++task) run_task(static_cast<int>(task), worker);
    });
}

namespace {

// Row passes run on the pool from 2^15 values up (below, one thread is faster), in chunks of kRowChunk rows.
constexpr size_t kRowChunk = 4;
size_t row_threads(size_t threads, size_t rows, size_t width) { return rows * width >= (size_t(1) << 15) ? threads : 1; }

}  // namespace

void Encoder::norm_rows(const float* in, const float* gamma, const float* beta, float* out, size_t tokens,
                        size_t threads) const {
    const size_t h = static_cast<size_t>(config_.hidden_size);
    const simd::Kernels& k = simd::kernels();
    parallel_for(row_threads(threads, tokens, h), tokens, kRowChunk, [&](size_t first, size_t last, size_t) {
        for (size_t i = first; i < last; ++i) {
            if (spec_.norm == NormKind::rms_norm) k.f32_rmsnorm(in + i * h, gamma, config_.layer_norm_eps, out + i * h, h);
            else k.f32_layernorm(in + i * h, gamma, beta, config_.layer_norm_eps, out + i * h, h);
        }
    });
}

void Encoder::rotary_tables() {
    // As transformers computes them in float32: inv_freq_i = 1 / theta^(2i / d), angle = position * inv_freq_i
    // (one float product), then cos / sin of that float angle.
    const size_t d = static_cast<size_t>(config_.head_dim()), half = d / 2, positions = static_cast<size_t>(max_tokens());
    const double thetas[2] = {spec_.rope_theta, spec_.rope_theta_local};
    for (int kind = 0; kind < (spec_.any_local() ? 2 : 1); ++kind) {
        std::vector<float> inv_freq(half);
        for (size_t i = 0; i < half; ++i)
            inv_freq[i] = 1.0f / std::pow(static_cast<float>(thetas[kind]), static_cast<float>(2 * i) / static_cast<float>(d));
        rope_cos_[kind].resize(positions * half);
        rope_sin_[kind].resize(positions * half);
        for (size_t p = 0; p < positions; ++p)
            for (size_t i = 0; i < half; ++i) {
                const double angle = static_cast<double>(static_cast<float>(p) * inv_freq[i]);
                rope_cos_[kind][p * half + i] = static_cast<float>(std::cos(angle));
                rope_sin_[kind][p * half + i] = static_cast<float>(std::sin(angle));
            }
    }
}

void Encoder::rotate(float* x, size_t ld, size_t heads, const float* head_norm, size_t row_begin, size_t row_end,
                     const int64_t* offsets, int num_texts, bool global, size_t threads) const {
    const size_t d = static_cast<size_t>(config_.head_dim()), half = d / 2;
    const float* cos = rope_cos_[global ? 0 : 1].data();
    const float* sin = rope_sin_[global ? 0 : 1].data();
    const simd::Kernels& k = simd::kernels();
    const size_t rows = row_end - row_begin;
    parallel_for(row_threads(threads, rows, heads * d), rows, kRowChunk, [&](size_t first, size_t last, size_t) {
        // The text of row row_begin + first: the last whose offset is <= it.
        int t = static_cast<int>(std::upper_bound(offsets, offsets + num_texts + 1, static_cast<int64_t>(row_begin + first)) -
                                 offsets) - 1;
        for (size_t i = first; i < last; ++i) {
            const int64_t row = static_cast<int64_t>(row_begin + i);
            while (row >= offsets[t + 1]) ++t;
            const size_t position = static_cast<size_t>(row - offsets[t]);
            float* r = x + i * ld;
            for (size_t head = 0; head < heads; ++head) {
                if (head_norm) k.f32_rmsnorm(r + head * d, head_norm, config_.layer_norm_eps, r + head * d, d);
                k.f32_rope(r + head * d, cos + position * half, sin + position * half, half);
            }
        }
    });
}

void Encoder::tiled_attention(const float* q, size_t ldq, const float* k_all, const float* v_all, size_t ldkv,
                              const int64_t* offsets, int num_texts, size_t row_begin, size_t row_end,
                              const float* logit_scales, float layer_factor, size_t before, size_t after, float* out,
                              size_t ldo, Workspace& ws) const {
    // One task per (text, group of query heads, tile of query rows): each owns disjoint output rows x columns.
    // A group: the query heads of one key / value head (grouped-query attention), which the kernel runs over
    // each K / V tile in turn; one head where a relative bias differs per head. A call copies the keys (and
    // for bf16 the values) it reads, each row a page apart in a long text (a TLB miss each): a whole chunk's
    // rows per call amortize that (bf16, 8192 tokens: 97 GFLOP/s at 512 rows, 81 at 256).
    constexpr int64_t kQueryTile = kPreLnChunk;
    const size_t d = static_cast<size_t>(config_.head_dim());
    const int group = config_.num_heads / config_.kv_heads(), per_call = relative_attention_bias_.empty() ? group : 1;
    const int heads = config_.num_heads / per_call;  // calls per tile
    int64_t longest = 0;
    std::vector<int64_t> first_task(static_cast<size_t>(num_texts) + 1, 0), query_begin(static_cast<size_t>(num_texts));
    for (int t = 0; t < num_texts; ++t) {
        longest = std::max(longest, offsets[t + 1] - offsets[t]);
        const int64_t begin = std::max<int64_t>(offsets[t], static_cast<int64_t>(row_begin));
        const int64_t end = std::min<int64_t>(offsets[t + 1], static_cast<int64_t>(row_end));
        query_begin[t] = begin;
        first_task[t + 1] = first_task[t] + (end > begin ? heads * ((end - begin + kQueryTile - 1) / kQueryTile) : 0);
    }
    const size_t span = 2 * static_cast<size_t>(longest) - 1;  // ws.relative_bias per head (MPNet)
    const auto attend = attention_bf16_ ? &quant::bf16_tiled_attention : simd::kernels().f32_attention;
    const size_t tasks = static_cast<size_t>(first_task[num_texts]);
    auto run_task = [&](long task) {
        const int t = static_cast<int>(std::upper_bound(first_task.begin(), first_task.end(), task) - first_task.begin()) - 1;
        const int64_t local = task - first_task[t], tiles = (first_task[t + 1] - first_task[t]) / heads;
        const int head = static_cast<int>(local / tiles) * per_call;  // the call's first query head
        const int64_t end = std::min<int64_t>(offsets[t + 1], static_cast<int64_t>(row_end));
        const int64_t row = query_begin[t] + (local % tiles) * kQueryTile;  // in the batch
        const size_t rows = static_cast<size_t>(std::min<int64_t>(kQueryTile, end - row));
        const size_t length = static_cast<size_t>(offsets[t + 1] - offsets[t]), start = static_cast<size_t>(offsets[t]);
        const size_t column = static_cast<size_t>(head) * d, here = static_cast<size_t>(row) - row_begin;
        const size_t kv_column = static_cast<size_t>(head / group) * d;
        const float* bias = relative_attention_bias_.empty()
                                ? nullptr
                                : ws.relative_bias.data() + static_cast<size_t>(head) * span + static_cast<size_t>(longest - 1);
        attend(q + here * ldq + column, ldq, k_all + start * ldkv + kv_column, v_all + start * ldkv + kv_column, ldkv, bias,
               logit_scales[t] * layer_factor, static_cast<size_t>(row) - start, rows, length, std::min(before, length),
               std::min(after, length), d, static_cast<size_t>(per_call), out + here * ldo + column, ldo);
    };
    parallel_for(ws.threads, tasks, 1, [&](size_t first, size_t end, size_t) {
        for (size_t task = first; task < end; ++task) run_task(static_cast<long>(task));
    });
}

void Encoder::gated_activation(float* inner, size_t tokens, size_t threads) const {
    const size_t ffn = static_cast<size_t>(config_.intermediate_size);
    const simd::Kernels& k = simd::kernels();
    const auto activation = spec_.ffn == FfnKind::swiglu ? k.f32_silu : spec_.ffn == FfnKind::geglu_tanh ? k.f32_gelu_tanh : k.f32_gelu;
    const size_t pool = row_threads(threads, tokens, 2 * ffn);
    parallel_for(pool, tokens, kRowChunk, [&](size_t first, size_t last, size_t) {
        for (size_t i = first; i < last; ++i) activation(inner + i * 2 * ffn, inner + i * 2 * ffn, ffn);
    });
    // Row i's product goes to i * ffn. In rounds over rows [2^r, 2^(r+1)), every row of a round writes below
    // 2^(r+1) ffn and reads from 2^(r+1) ffn up, while the rows it overwrites (< 2^r) were read in earlier
    // rounds: the rows of one round run in parallel.
    auto product = [&](size_t i) {
        const float* activated = inner + i * 2 * ffn;
        const float* gate = activated + ffn;
        float* out = inner + i * ffn;
        for (size_t c = 0; c < ffn; ++c) out[c] = activated[c] * gate[c];
    };
    if (tokens > 0) product(0);
    for (size_t begin = 1; begin < tokens; begin *= 2) {
        const size_t end = std::min(tokens, 2 * begin);
        parallel_for(pool, end - begin, 2 * kRowChunk, [&](size_t first, size_t last, size_t) {
            for (size_t i = begin + first; i < begin + last; ++i) product(i);
        });
    }
}

void Encoder::pre_ln_layer(size_t l, float* x, const int64_t* offsets, int num_texts, const float* logit_scales,
                           float layer_factor, Workspace& ws) const {
    using quant::Epilogue;
    const Layer& layer = layers_[l];
    const size_t tokens = static_cast<size_t>(offsets[num_texts]), h = static_cast<size_t>(config_.hidden_size);
    const size_t qw = static_cast<size_t>(config_.query_width()), kvw = static_cast<size_t>(config_.kv_width());
    // Keys and values of every token first, then per chunk of kPreLnChunk tokens: queries, attention,
    // output projection, FFN. Only x and the keys / values span the whole batch; the chunk's rows of x
    // change after every key and value has been read from them.
    float* normed = ws.residual.data();
    float* queries = ws.q.data();  // [chunk, qw]; attention's output overwrites them
    float* kv = ws.k.data();       // [tokens, 2 kvw]
    float* inner = ws.ffn.data();
    const bool global = spec_.is_global(static_cast<int>(l));
    auto observe = [&](LinearInput input, const float* in, size_t rows, size_t width) {
        if (ws.observe_linear_input) ws.observe_linear_input(static_cast<int>(l), input, in, rows, width);
    };
    auto attention_input = [&](size_t c0, size_t n) -> const float* {
        if (!layer.ln1_gamma) return x + c0 * h;
        norm_rows(x + c0 * h, layer.ln1_gamma, layer.ln1_beta, normed, n, ws.threads);
        return normed;
    };
    for (size_t c0 = 0; c0 < tokens; c0 += kPreLnChunk) {
        const size_t n = std::min(kPreLnChunk, tokens - c0);
        const float* in = attention_input(c0, n);
        observe(LinearInput::qkv, in, n, h);
        layer.key_value->forward(in, n, kv + c0 * 2 * kvw, nullptr, Epilogue::none, ws.linear);
    }
    const size_t kv_heads = static_cast<size_t>(config_.kv_heads()), heads = static_cast<size_t>(config_.num_heads);
    if (spec_.positions == PositionKind::rotary) rotate(kv, 2 * kvw, kv_heads, layer.k_norm, 0, tokens, offsets, num_texts, global, ws.threads);
    const size_t everything = std::numeric_limits<size_t>::max();
    const size_t before = global ? everything : static_cast<size_t>(spec_.local_radius);
    const size_t after = spec_.causal ? 0 : before;
    for (size_t c0 = 0; c0 < tokens; c0 += kPreLnChunk) {
        const size_t n = std::min(kPreLnChunk, tokens - c0);
        float* rows = x + c0 * h;
        layer.query->forward(attention_input(c0, n), n, queries, nullptr, Epilogue::none, ws.linear);
        if (spec_.positions == PositionKind::rotary) rotate(queries, qw, heads, layer.q_norm, c0, c0 + n, offsets, num_texts, global, ws.threads);
        tiled_attention(queries, qw, kv, kv + kvw, 2 * kvw, offsets, num_texts, c0, c0 + n, logit_scales, layer_factor, before,
                        after, queries, qw, ws);
        observe(LinearInput::attention_out, queries, n, qw);
        add_sublayer_output(*layer.attention_out, queries, n, layer.attention_output_norm, rows, normed, ws);
        norm_rows(rows, layer.ln2_gamma, layer.ln2_beta, normed, n, ws.threads);
        observe(LinearInput::ffn_in, normed, n, h);
        layer.ffn_in->forward(normed, n, inner, nullptr, Epilogue::none, ws.linear);
        gated_activation(inner, n, ws.threads);
        observe(LinearInput::ffn_out, inner, n, static_cast<size_t>(config_.intermediate_size));
        add_sublayer_output(*layer.ffn_out, inner, n, layer.ffn_output_norm, rows, normed, ws);
    }
}

void Encoder::add_sublayer_output(const quant::Linear& projection, const float* in, size_t n, const float* output_norm,
                                  float* x, float* scratch, Workspace& ws) const {
    if (!output_norm) {  // x += in W^T, the residual added in the projection's epilogue
        projection.forward(in, n, x, x, quant::Epilogue::none, ws.linear);
        return;
    }
    const size_t h = static_cast<size_t>(config_.hidden_size);
    projection.forward(in, n, scratch, nullptr, quant::Epilogue::none, ws.linear);
    norm_rows(scratch, output_norm, nullptr, scratch, n, ws.threads);  // RMSNorm (require_implemented)
    parallel_for(row_threads(ws.threads, n, h), n, kRowChunk, [&](size_t first, size_t last, size_t) {
        simd::kernels().f32_add(x + first * h, scratch + first * h, x + first * h, (last - first) * h);
    });
}

void Encoder::dc_share(const float* x, const int64_t* offsets, int num_texts, float* out) const {
    const size_t h = static_cast<size_t>(config_.hidden_size);
    std::vector<double> mean(h);
    for (int t = 0; t < num_texts; ++t) {
        const size_t first = static_cast<size_t>(offsets[t]), length = static_cast<size_t>(offsets[t + 1]) - first;
        std::fill(mean.begin(), mean.end(), 0.0);
        double energy = 0.0;
        for (size_t i = first; i < first + length; ++i)
            for (size_t j = 0; j < h; ++j) {
                mean[j] += x[i * h + j];
                energy += static_cast<double>(x[i * h + j]) * x[i * h + j];
            }
        double dc = 0.0;
        for (double m : mean) dc += (m / static_cast<double>(length)) * (m / static_cast<double>(length));
        out[t] = static_cast<float>(dc / std::max(energy / static_cast<double>(length), 1e-30));
    }
}

void Encoder::forward(const int32_t* ids, const int64_t* offsets, int num_texts, const float* logit_scales,
                      const float* layer_factors, Workspace& ws, float* dc) const {
    const size_t tokens = static_cast<size_t>(offsets[num_texts]);
    const size_t h = static_cast<size_t>(config_.hidden_size);
    const size_t ffn = static_cast<size_t>(config_.intermediate_size);
    float* x = grow(ws.hidden, tokens * h);
    const bool pre = spec_.placement == NormPlacement::pre;
    // [tokens, 3h] from a fused layer; pre-LN: a chunk's queries
    float* q = grow(ws.q, linear_rows(tokens) * (pre ? static_cast<size_t>(config_.query_width()) : any_fused_qkv_ ? 3 * h : h));
    if (pre) grow(ws.k, tokens * 2 * static_cast<size_t>(config_.kv_width()));  // pre_ln_layer's keys and values
    float* key = any_separate_qkv_ ? grow(ws.k, tokens * h) : nullptr;
    float* v = any_separate_qkv_ ? grow(ws.v, tokens * h) : nullptr;
    float* context = spec_.placement == NormPlacement::post ? grow(ws.attention, tokens * h) : nullptr;
    float* residual = grow(ws.residual, linear_rows(tokens) * h);
    float* inner = grow(ws.ffn, linear_rows(tokens) * ffn * (gated_ffn(spec_) ? 2 : 1));
    const simd::Kernels& k = simd::kernels();
    using quant::Epilogue;
    ws.linear.threads = ws.threads;
    auto layernorm = [&](const float* gamma, const float* beta) {  // post-LN: x = LayerNorm(residual)
        parallel_for(row_threads(ws.threads, tokens, h), tokens, kRowChunk, [&](size_t first, size_t last, size_t) {
            for (size_t i = first; i < last; ++i)
                k.f32_layernorm(residual + i * h, gamma, beta, config_.layer_norm_eps, x + i * h, h);
        });
    };

    embed_tokens(ids, offsets, num_texts, x);
    if (!relative_attention_bias_.empty()) {
        int64_t longest = 0;
        for (int t = 0; t < num_texts; ++t) longest = std::max(longest, offsets[t + 1] - offsets[t]);
        relative_bias(static_cast<size_t>(longest), ws);
    }
    if (dc) dc_share(x, offsets, num_texts, dc);
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& layer = layers_[l];
        const float layer_factor = layer_factors ? layer_factors[l] : 1.0f;
        if (spec_.placement == NormPlacement::pre) {
            pre_ln_layer(l, x, offsets, num_texts, logit_scales, layer_factor, ws);
            if (dc) dc_share(x, offsets, num_texts, dc + (l + 1) * static_cast<size_t>(num_texts));
            continue;
        }
        auto observe = [&](const quant::Linear& linear, LinearInput input, const float* in) {
            if (ws.observe_linear_input) ws.observe_linear_input(static_cast<int>(l), input, in, tokens, linear.in_features());
        };
        observe(layer.qkv ? *layer.qkv : *layer.query, LinearInput::qkv, x);
        if (layer.qkv) {
            layer.qkv->forward(x, tokens, q, nullptr, Epilogue::none, ws.linear);
            attention(q, q + h, q + 2 * h, 3 * h, offsets, num_texts, logit_scales, layer_factor, ws);
        } else {
            layer.query->forward(x, tokens, q, nullptr, Epilogue::none, ws.linear);
            layer.key->forward(x, tokens, key, nullptr, Epilogue::none, ws.linear);
            layer.value->forward(x, tokens, v, nullptr, Epilogue::none, ws.linear);
            attention(q, key, v, h, offsets, num_texts, logit_scales, layer_factor, ws);
        }
        observe(*layer.attention_out, LinearInput::attention_out, context);
        layer.attention_out->forward(context, tokens, residual, x, Epilogue::none, ws.linear);
        layernorm(layer.ln1_gamma, layer.ln1_beta);
        observe(*layer.ffn_in, LinearInput::ffn_in, x);
        layer.ffn_in->forward(x, tokens, inner, nullptr, Epilogue::gelu, ws.linear);
        observe(*layer.ffn_out, LinearInput::ffn_out, inner);
        layer.ffn_out->forward(inner, tokens, residual, x, Epilogue::none, ws.linear);
        layernorm(layer.ln2_gamma, layer.ln2_beta);
        if (dc) dc_share(x, offsets, num_texts, dc + (l + 1) * static_cast<size_t>(num_texts));
    }
    if (spec_.final_norm) norm_rows(x, final_gamma_, final_beta_, x, tokens, ws.threads);
}

}  // namespace edgembed::models
