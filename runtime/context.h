// Per-thread state for embedding with a shared Model: scratch memory and the call options.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model.h"

namespace edgembed {

// What happens to a text longer than max_length tokens.
enum class LongInput : uint8_t {
    truncate = 0,  // keep the first max_length tokens (counted in EmbedStats::truncated)
    window = 1,    // split into windows of max_length tokens (the template around each) that overlap by
                   // max_length - template - window_stride pieces; pool the windows' vectors (token-weighted
                   // mean for mean pooling, mean for CLS, max for max), then normalize
};

struct EmbedOptions {
    float temperature = NAN;  // TempScale tau; NaN = the model's default_temperature
    // Use the model's stored auto setting (ModelConfig::auto_temperature) for tau, the length scale and
    // the layer factors; an error when the model has none or when those fields are also set.
    bool auto_temperature = false;
    // Length-aware temperature: when > 0, a text (or window) of n > length_scale_reference tokens gets
    // its attention logits multiplied by (ln n / ln length_scale_reference)^length_scale_exponent.
    int length_scale_reference = 0;
    float length_scale_exponent = 1.0f;
    // Per-layer factors on tau (empty = 1 for every layer; else exactly one per layer).
    std::vector<float> layer_temperatures;
    int max_length = 0;       // tokens per text incl. specials; 0 = the model's max_seq_length
    // Prepended to every text before tokenizing, so it counts towards max_length (sentence-transformers
    // prompts; resolve_prompt() in runtime/prompts.h turns a prompt name into it).
    std::string prompt;
    LongInput long_input = LongInput::truncate;
    int window_stride = 0;    // pieces between window starts; 0 = half a window
    int threads = 0;          // threads of the runtime's pool this call and later ones use, the caller's
                              // included; 0 = leave the context's count (at first the CPUs it may run on)
    int batch_size = 32;      // sequences (texts or windows) per forward pass (packed, no padding)
    int normalize = -1;       // -1 = as the model says, 0 = off, 1 = on
    // Limits (0 = none). A forward pass runs at most max_batch_tokens tokens and needs at most
    // max_workspace_bytes of the context's buffers (Encoder::workspace_bytes); batches are cut smaller to
    // stay within both, and a single sequence over either is Error(limit_exceeded), nothing allocated.
    size_t max_batch_tokens = 0;
    size_t max_workspace_bytes = 0;
    // When set, receives [texts x (num_layers + 1)] DC shares ||mean_t x_t||^2 / mean_t ||x_t||^2 of the
    // token features after the embeddings and after each layer (averaged over a text's windows).
    std::vector<float>* layer_dc_share = nullptr;
    // When set, sees the input of every linear layer of every forward pass (the converter's calibration).
    models::LinearInputObserver observe_linear_inputs;
    // When set, called after each forward pass with the texts finished so far and the total.
    std::function<void(size_t done, size_t total)> progress;
};

struct EmbedStats {
    size_t texts = 0;
    size_t tokens = 0;     // model input tokens, specials included
    size_t truncated = 0;  // texts cut at max_length
    size_t windowed = 0;   // texts embedded as several windows
    size_t windows = 0;    // windows in all
};

class Context {
public:
    explicit Context(std::shared_ptr<const Model> model);

    // Embeds texts into out[texts.size() * dimension], in input order. Throws Error on invalid UTF-8
    // (naming the text and byte) or invalid options.
    EmbedStats embed(const std::vector<std::string_view>& texts, const EmbedOptions& options, float* out);
    // Embeds already tokenized inputs (the template included, at most Encoder::max_tokens() ids), e.g. for
    // benchmarks at exact token counts. Options as above; max_length and long_input do not apply.
    EmbedStats embed_ids(const std::vector<std::vector<int32_t>>& inputs, const EmbedOptions& options, float* out);
    // The final hidden state of every model input token of each text (sentence-transformers'
    // output_value="token_embeddings": before pooling, never normalized): text i's rows are
    // states[offsets[i] .. offsets[i + 1]) x dimension. Texts are truncated at max_length; long_input =
    // window is Error(invalid_argument) (windows have no single token sequence). options.prompt goes first.
    EmbedStats token_embeddings(const std::vector<std::string_view>& texts, const EmbedOptions& options,
                                std::vector<float>& states, std::vector<size_t>& offsets);
    std::vector<int32_t> tokenize(std::string_view text, int max_length) const;

    const Model& model() const { return *model_; }
    // The effective limits after validating options (throws Error(invalid_argument)).
    int effective_max_length(int requested) const;
    float effective_temperature(float requested) const;
    // The threads this context's calls use (EmbedOptions::threads sets it).
    size_t threads() const { return workspace_.threads; }

private:
    struct Sequence {
        size_t text;   // index of the text it belongs to
        float weight;  // its share in the text's pooled vector
    };
    // Accumulates the pooled vectors of the sequences queued in ids_ / offsets_ / queued_ into the texts'
    // running sums, then clears the queue.
    void flush(const EmbedOptions& options, float tau, float* sums, float* weights, float* dc_share);
    // Runs the encoder over the queued sequences (workspace_.hidden then holds their token states).
    void forward_queued(const EmbedOptions& options, float tau, float* dc);
    void clear_queue();
    // Where pooled vectors of `texts` texts accumulate: out itself, or (Dense modules) pooled_sums_.
    float* pooled_sums(size_t texts, float* out);
    // The Dense modules from the pooled vectors to out (nothing when there are none: pooled is out).
    void project(const float* pooled, size_t texts, float* out);
    // Error(...) naming the prompt when it does not tokenize.
    void check_prompt(const std::string& prompt) const;
    // The pieces of prompt + text (prompted: scratch that starts with the prompt); errors name the text.
    std::vector<int32_t> prompted_pieces(std::string_view text, size_t index, const std::string& prompt,
                                         std::string& prompted) const;
    void queue(size_t text, const int32_t* ids, size_t count, float weight);
    // Whether a sequence of `count` tokens fits the batch queued so far within the limits (false: flush
    // first). Throws Error(limit_exceeded) when it cannot fit even alone.
    bool admits(const EmbedOptions& options, size_t text, size_t count) const;
    void validate(const EmbedOptions& options) const;
    // The options with the model's auto temperature filled in when asked for.
    EmbedOptions with_temperature_setting(const EmbedOptions& requested) const;

    std::shared_ptr<const Model> model_;
    models::Workspace workspace_;
    std::vector<int32_t> ids_;
    std::vector<int64_t> offsets_{0};
    std::vector<Sequence> queued_;
    size_t queued_longest_ = 0;  // tokens of the longest queued sequence
    std::vector<float> pooled_, scales_, layer_factors_, dc_, pooled_sums_;
};

}  // namespace edgembed
