// Per-thread state for embedding with a shared Model: scratch memory and the call options.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model.h"

namespace edgembed {

struct EmbedOptions {
    float temperature = NAN;  // TempScale tau; NaN = the model's default_temperature
    int max_length = 0;       // tokens per text incl. specials; 0 = the model's max_seq_length
    int threads = 0;          // 0 = leave the thread count as it is
    int batch_size = 32;      // texts per forward pass (packed, no padding)
    int normalize = -1;       // -1 = as the model says, 0 = off, 1 = on
};

struct EmbedStats {
    size_t texts = 0;
    size_t tokens = 0;     // model input tokens, specials included
    size_t truncated = 0;  // texts cut at max_length
};

class Context {
public:
    explicit Context(std::shared_ptr<const Model> model) : model_(std::move(model)) {}

    // Embeds texts into out[texts.size() * dimension], in input order. Throws Error on invalid UTF-8
    // (naming the text and byte) or invalid options.
    EmbedStats embed(const std::vector<std::string_view>& texts, const EmbedOptions& options, float* out);
    // Embeds already tokenized inputs ([CLS] ... [SEP] each, at most max_position_embeddings ids), e.g. for
    // benchmarks at exact token counts. Options as above; max_length does not apply.
    EmbedStats embed_ids(const std::vector<std::vector<int32_t>>& inputs, const EmbedOptions& options, float* out);
    std::vector<int32_t> tokenize(std::string_view text, int max_length) const;

    const Model& model() const { return *model_; }
    // The effective limits after validating options (throws Error(invalid_argument)).
    int effective_max_length(int requested) const;
    float effective_temperature(float requested) const;

private:
    // Runs the encoder on ids_/offsets_ (one packed batch) and pools into out.
    void run_batch(float logit_scale, bool normalize, float* out);
    void prepare(const EmbedOptions& options, float* logit_scale, bool* normalize) const;

    std::shared_ptr<const Model> model_;
    bert::Workspace workspace_;
    std::vector<int32_t> ids_;
    std::vector<int64_t> offsets_;
};

}  // namespace edgembed
