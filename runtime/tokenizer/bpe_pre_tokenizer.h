// The word split of byte-level BPE tokenizers: the regexes of Hugging Face `tokenizers` written out by hand,
// with exactly the semantics Oniguruma gives them there (leftmost alternative first, greedy runs,
// backtracking into the lookahead of `\s+(?!\S)`), over the Unicode categories of utf8proc plus the
// Unicode 16.0 letters / numbers Oniguruma knows (hf_unicode_versions.h).
//
//   gpt2  (ByteLevel with use_regex, GPT-2 / RoBERTa / ModernBERT):
//         's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   qwen2 (the Split pre-tokenizer of Qwen2 / Qwen3):
//         (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// \s is Oniguruma's Unicode \s: U+0009..U+000D, U+0085 and the categories Zs, Zl, Zp (the White_Space
// property). Every character is matched by some alternative, so the words tile the text.
//
// Usage:
//   for (std::size_t pos = 0; pos < text.size();) {
//       const std::size_t end = bpe_word_end(text, pos, BpeSplitPattern::gpt2);
//       use(text.substr(pos, end - pos));
//       pos = end;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgembed {

enum class BpeSplitPattern : uint8_t { gpt2, qwen2 };

enum class BpeCharClass : uint8_t {
    letter,  // \p{L}
    number,  // \p{N}
    space,   // \s
    other,   // [^\s\p{L}\p{N}]
};

BpeCharClass bpe_char_class(char32_t cp) noexcept;

// The end (byte offset) of the word that starts at pos (pos < text.size()); text is UTF-8 (a byte that does
// not start a well-formed sequence counts as one character of class `other`).
std::size_t bpe_word_end(std::string_view text, std::size_t pos, BpeSplitPattern pattern) noexcept;

}  // namespace edgembed
