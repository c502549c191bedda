// BERT (and its sentence-transformers descendants: all-MiniLM, bge, e5 English, ...): post-LN, GELU,
// learned absolute positions, token types.
#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

void read_config(const JsonKeys& k, ModelConfig& c) {
    require_absolute_bidirectional(k);
    read_bert_style_dimensions(k, c);
    c.type_vocab_size = k.integer("type_vocab_size", 2);
}

EncoderSpec spec(const ModelConfig&) { return EncoderSpec{}; }

}  // namespace

extern const Family bert_family = {
    "bert",
    kOutlierChannelsRevision,  // layout revision
    {"0.auto_model.", "bert.", "model."},
    {{"pooler.", "the BERT pooler: not used for embeddings"},
     {"cls.", "masked-LM / next-sentence heads"},
     {"embeddings.position_ids", "index buffer"},
     {"embeddings.token_type_ids", "index buffer"}},
    read_config,
    spec,
    {"embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings",
     "embeddings.LayerNorm", "", "", "encoder.layer.{}.", "attention.self.query", "attention.self.key",
     "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
     "output.dense", "output.LayerNorm"},
};

}  // namespace edgembed::models
