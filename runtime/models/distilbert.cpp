// DistilBERT (msmarco-distilbert, multi-qa-distilbert): BERT's post-LN blocks under other names and
// config keys, no token types.
#include "base/error.h"
#include "runtime/models/family.h"

namespace edgembed::models {

namespace {

void read_config(const JsonKeys& k, ModelConfig& c) {
    const std::string act = k.string("activation", std::string("gelu"));
    if (act != "gelu")
        throw Error(Status::unsupported_architecture, k.file() + ": activation '" + act + "' is not supported (only 'gelu', the erf form)");
    c.hidden_act = "gelu";
    c.hidden_size = k.integer("dim");
    c.num_layers = k.integer("n_layers");
    c.num_heads = k.integer("n_heads");
    c.intermediate_size = k.integer("hidden_dim");
    c.max_position_embeddings = k.integer("max_position_embeddings");
    c.vocab_size = k.integer("vocab_size");
    c.layer_norm_eps = 1e-12f;  // fixed in transformers' DistilBERT
    c.type_vocab_size = 0;
}

EncoderSpec spec(const ModelConfig&) {
    EncoderSpec s;
    s.token_types = false;
    return s;
}

}  // namespace

extern const Family distilbert_family = {
    "distilbert",
    kOutlierChannelsRevision,  // layout revision
    {"0.auto_model.", "distilbert.", "model."},
    {{"vocab_transform.", "the masked-LM head"},
     {"vocab_layer_norm.", "the masked-LM head"},
     {"vocab_projector.", "the masked-LM head"},
     {"pre_classifier.", "a classification head"},
     {"classifier.", "a classification head"},
     {"embeddings.position_ids", "index buffer"}},
    read_config,
    spec,
    {"embeddings.word_embeddings", "embeddings.position_embeddings", "", "embeddings.LayerNorm", "", "",
     "transformer.layer.{}.", "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
     "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"},
};

}  // namespace edgembed::models
