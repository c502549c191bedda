// MPNet (all-mpnet-base-v2, multi-qa-mpnet): BERT's post-LN blocks, RoBERTa's padding-offset positions,
// no token types, and a relative-position bias on the attention logits (32 buckets, distances up to
// 128, one table shared by all layers).
#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

// transformers' MPNetEncoder.compute_position_bias calls relative_position_bucket with its defaults.
constexpr int kBuckets = 32, kMaxDistance = 128;

void read_config(const JsonKeys& k, ModelConfig& c) {
    read_bert_style_dimensions(k, c);
    c.type_vocab_size = 0;
    const int buckets = k.integer("relative_attention_num_buckets", kBuckets);
    if (buckets != kBuckets)
        throw Error(Status::unsupported_architecture, k.file() + ": relative_attention_num_buckets " + std::to_string(buckets) +
                                                          " is not supported (transformers' MPNet always buckets into 32)");
    const int pad = k.integer("pad_token_id", 1);
    if (pad < 0 || pad + 2 >= c.max_position_embeddings)
        throw Error(Status::invalid_config, k.file() + ": pad_token_id " + std::to_string(pad) + " leaves no positions");
    c.family_options["padding_idx"] = pad;
    c.family_options["relative_attention_num_buckets"] = kBuckets;
    c.family_options["relative_attention_max_distance"] = kMaxDistance;
}

EncoderSpec spec(const ModelConfig& c) {
    EncoderSpec s;
    s.token_types = false;
    s.position_padding_idx = static_cast<int>(family_option(c, "padding_idx"));
    s.positions = PositionKind::learned_relative_bias;
    s.relative_buckets = static_cast<int>(family_option(c, "relative_attention_num_buckets"));
    s.relative_max_distance = static_cast<int>(family_option(c, "relative_attention_max_distance"));
    if (s.relative_buckets < 4 || s.relative_buckets % 4 != 0 || s.relative_buckets > 1024 || s.relative_max_distance <= s.relative_buckets / 4)
        throw Error(Status::invalid_config, "model config: mpnet relative attention buckets / max distance out of range");
    return s;
}

}  // namespace

extern const Family mpnet_family = {
    "mpnet",
    kOutlierChannelsRevision,  // layout revision
    {"0.auto_model.", "mpnet.", "model."},
    {{"pooler.", "the pooler: not used for embeddings"},
     {"lm_head.", "the masked-LM head"},
     {"embeddings.position_ids", "index buffer"}},
    read_config,
    spec,
    {"embeddings.word_embeddings", "embeddings.position_embeddings", "", "embeddings.LayerNorm",
     "encoder.relative_attention_bias", "", "encoder.layer.{}.", "attention.attn.q", "attention.attn.k",
     "attention.attn.v", "attention.attn.o", "attention.LayerNorm", "intermediate.dense", "output.dense",
     "output.LayerNorm"},
};

}  // namespace edgembed::models
