// The strict UTF-8 decoder (runtime/tokenizer/utf8.h) against an independent, obviously slow decoder
// written here from the definition (decode any 1-4 byte pattern, then reject overlongs, surrogates and
// values above U+10FFFF), plus the BERT normalizer and pre-tokenizer on every valid input:
//   - utf8_find_invalid, utf8_validate's "invalid UTF-8 at byte N" and utf8_decode agree with it;
//   - valid input round-trips through utf8_decode / utf8_encode, and utf8_next walks the same code points;
//   - the normalizer's output is scalar values only, for every combination of its options.
#include <string>
#include <string_view>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "runtime/tokenizer/bert_normalizer.h"
#include "runtime/tokenizer/utf8.h"

using namespace edgembed;

namespace {

// Returns the offset of the first ill-formed sequence (npos when none) and the code points before it.
size_t reference_decode(std::string_view text, std::u32string& out) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    size_t pos = 0;
    while (pos < text.size()) {
        const unsigned b = s[pos];
        size_t len;
        char32_t min, cp;
        if (b < 0x80) { len = 1; min = 0; cp = b; }
        else if ((b & 0xE0) == 0xC0) { len = 2; min = 0x80; cp = b & 0x1F; }
        else if ((b & 0xF0) == 0xE0) { len = 3; min = 0x800; cp = b & 0x0F; }
        else if ((b & 0xF8) == 0xF0) { len = 4; min = 0x10000; cp = b & 0x07; }
        else return pos;
        if (text.size() - pos < len) return pos;
        for (size_t i = 1; i < len; ++i) {
            if ((s[pos + i] & 0xC0) != 0x80) return pos;
            cp = (cp << 6) | (s[pos + i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return pos;
        out.push_back(cp);
        pos += len;
    }
    return utf8_npos;
}

bool is_scalar(char32_t c) { return c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::u32string expected;
    const size_t bad = reference_decode(text, expected);
    FUZZ_CHECK(utf8_find_invalid(text) == bad, "utf8_find_invalid disagrees with the reference");

    std::u32string decoded;
    try {
        utf8_decode(text, decoded);
        FUZZ_CHECK(bad == utf8_npos, "utf8_decode accepted ill-formed input");
    } catch (const Error& e) {
        FUZZ_CHECK(bad != utf8_npos, "utf8_decode refused well-formed input");
        FUZZ_CHECK(e.status() == Status::invalid_utf8, e.what());
        FUZZ_CHECK(std::string(e.what()) == "invalid UTF-8 at byte " + std::to_string(bad), e.what());
        try {
            utf8_validate(text);
            FUZZ_CHECK(false, "utf8_validate accepted ill-formed input");
        } catch (const Error& v) {
            FUZZ_CHECK(std::string(v.what()) == e.what(), v.what());
        }
        return 0;
    }
    FUZZ_CHECK(decoded == expected, "utf8_decode differs from the reference");
    FUZZ_CHECK(utf8_encode(decoded) == text, "decode + encode does not round-trip");
    size_t pos = 0, i = 0;
    while (pos < text.size()) {
        char32_t cp;
        const size_t next = utf8_next(text, pos, &cp);
        FUZZ_CHECK(next != utf8_npos && next > pos && i < decoded.size() && cp == decoded[i], "utf8_next");
        FUZZ_CHECK(next - pos == utf8_length(cp), "utf8_length");
        pos = next;
        ++i;
    }
    FUZZ_CHECK(i == decoded.size(), "utf8_next count");

    // Normalizer and pre-tokenizer: every option combination, output all scalar values.
    std::u32string normalized, scratch;
    for (unsigned options = 0; options < 16; ++options) {
        const BertNormalizer normalizer(
            BertNormalizerOptions{(options & 1) != 0, (options & 2) != 0, (options & 4) != 0, (options & 8) != 0});
        normalized.clear();
        normalizer.normalize(decoded, normalized, scratch);
        for (char32_t c : normalized) FUZZ_CHECK(is_scalar(c), "normalizer produced a non-scalar value");
        if (options == 15) {
            size_t letters = 0;
            bert_pre_tokenize(std::u32string_view(normalized), [&](std::u32string_view word) {
                FUZZ_CHECK(!word.empty(), "empty word");
                for (char32_t c : word) FUZZ_CHECK(!bert_is_whitespace(c), "whitespace inside a word");
                letters += word.size();
            });
            FUZZ_CHECK(letters <= normalized.size(), "pre-tokenizer invented characters");
        }
    }
    return 0;
}
