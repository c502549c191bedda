// The normalizers of byte-level BPE tokenizers, as Hugging Face `tokenizers` applies them: NFC
// (utf8proc), Lowercase (Rust's char::to_lowercase: the full mapping, one character at a time, so U+0130
// becomes "i\u0307" and a final sigma stays σ) and a sequence of those. Where `tokenizers`' Unicode
// data differs from utf8proc's, it follows `tokenizers` (hf_unicode_versions.h).
//
// Both steps are local: NFC(a + b) == NFC(a) + NFC(b) when b starts with an ASCII character, and Lowercase
// maps each character alone, so a text may be normalized in pieces cut before an ASCII character.
//
// Thread safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgembed {

class BpeNormalizer {
public:
    // spec: "" (none), or steps separated by commas, applied in order: "nfc", "lowercase", "nfc,lowercase".
    // Throws Error(invalid_config) naming an unknown step.
    explicit BpeNormalizer(std::string_view spec);

    bool is_identity() const noexcept { return steps_.empty(); }
    // Normalizes text (valid UTF-8) into out (cleared first). Throws Error(invalid_utf8) when text is not.
    void normalize(std::string_view text, std::string& out) const;

private:
    enum class Step { nfc, lowercase };
    std::vector<Step> steps_;
};

}  // namespace edgembed
