// SentencePiece's precompiled normalization rules (NormalizerSpec.precompiled_charsmap: a Darts-clone
// double-array trie over UTF-8 byte strings whose leaves point into a block of NUL-terminated
// replacements), applied the way Hugging Face `tokenizers`' Precompiled normalizer applies them, which is
// not the way the sentencepiece library does:
//   - the text is cut into extended grapheme clusters (UAX #29; utf8proc here, unicode-segmentation there);
//   - a cluster of fewer than 6 bytes that has a rule for one of its prefixes is replaced as a whole by the
//     replacement of its SHORTEST such prefix (the rest of the cluster is dropped);
//   - otherwise each code point is replaced by its rule, or kept;
//   - the trie walk stops at a NUL byte.
// The library instead takes the longest matching prefix of the remaining bytes, whatever the clusters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgembed {

class PrecompiledCharsmap {
public:
    // An empty blob is the identity. Throws Error(invalid_config) when the blob is malformed (shorter than
    // the trie size it starts with, a trie size that is not a multiple of 4, replacements not valid UTF-8).
    explicit PrecompiledCharsmap(std::string_view blob);

    bool empty() const noexcept { return trie_.empty(); }

    // Appends the normalized form of text (valid UTF-8) to out.
    void normalize(std::string_view text, std::string& out) const;

    // The replacement of the shortest prefix of key that has a rule; false when none has. A forged trie
    // cannot make it read out of bounds: every index is checked (Hugging Face would panic there).
    bool transform(std::string_view key, std::string_view* replacement) const noexcept;

private:
    std::vector<uint32_t> trie_;
    std::string normalized_;
};

}  // namespace edgembed
