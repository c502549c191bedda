// The tokenizer interface the embedder uses. One implementation per algorithm (wordpiece.h; later
// sentencepiece, bpe).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace edgembed {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;
    // Model input ids: [CLS] pieces [SEP], truncated to max_length ids in all (specials included) when
    // max_length > 0, exactly as the Hugging Face tokenizer with truncation=True, max_length=max_length.
    // Throws Error(invalid_utf8) naming the byte offset when text is not valid UTF-8.
    virtual std::vector<int32_t> encode(std::string_view text, int max_length) const = 0;
    // The pieces alone: no specials, no truncation (used for sliding windows over long texts).
    virtual std::vector<int32_t> encode_pieces(std::string_view text) const = 0;
    virtual int32_t cls_id() const = 0;
    virtual int32_t sep_id() const = 0;
    virtual int32_t pad_id() const = 0;
};

}  // namespace edgembed
