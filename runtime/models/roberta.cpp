// RoBERTa and XLM-RoBERTa (all-distilroberta, granite English; multilingual-e5, bge-m3,
// paraphrase-multilingual): BERT's blocks and tensor names, with positions counted from padding_idx + 1
// (RoBERTa's create_position_ids_from_input_ids) and one token type. They differ in their tokenizers.
#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

void read_config(const JsonKeys& k, ModelConfig& c) {
    require_absolute_bidirectional(k);
    read_bert_style_dimensions(k, c);
    c.type_vocab_size = k.integer("type_vocab_size", 1);
    const int pad = k.integer("pad_token_id", 1);
    if (pad < 0 || pad + 2 >= c.max_position_embeddings)
        throw Error(Status::invalid_config, k.file() + ": pad_token_id " + std::to_string(pad) + " leaves no positions");
    c.family_options["padding_idx"] = pad;
}

EncoderSpec spec(const ModelConfig& c) {
    EncoderSpec s;
    s.position_padding_idx = static_cast<int>(family_option(c, "padding_idx"));
    return s;
}

const TensorNames kNames = {
    "embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings",
    "embeddings.LayerNorm", "", "", "encoder.layer.{}.", "attention.self.query", "attention.self.key",
    "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
    "output.dense", "output.LayerNorm"};

const std::vector<std::pair<std::string, std::string>> kIgnored = {
    {"pooler.", "the pooler: not used for embeddings"},
    {"lm_head.", "the masked-LM head"},
    {"embeddings.position_ids", "index buffer"},
    {"embeddings.token_type_ids", "index buffer"}};

}  // namespace

extern const Family roberta_family = {"roberta", kOutlierChannelsRevision, {"0.auto_model.", "roberta.", "model."}, kIgnored, read_config, spec, kNames};
extern const Family xlm_roberta_family = {"xlm-roberta", kOutlierChannelsRevision, {"0.auto_model.", "roberta.", "model."}, kIgnored, read_config, spec, kNames};

}  // namespace edgembed::models
