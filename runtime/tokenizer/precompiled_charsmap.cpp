#include "runtime/tokenizer/precompiled_charsmap.h"

#include <utf8proc.h>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

// A Darts-clone unit: label in bits 0-7 (bit 31 set on leaves' value units), has_leaf bit 8, offset in
// bits 10-31, shifted left by 8 more when bit 9 is set; a value unit holds the value in bits 0-30.
inline bool has_leaf(uint32_t unit) { return (unit >> 8) & 1; }
inline uint32_t value(uint32_t unit) { return unit & 0x7FFFFFFFu; }
inline uint32_t label(uint32_t unit) { return unit & 0x800000FFu; }
inline uint32_t offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

inline bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

uint32_t read_u32le(std::string_view bytes, std::size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    return v;
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob) {
    if (blob.empty()) return;
    auto fail = [](const std::string& what) {
        throw Error(Status::invalid_config, "sentencepiece precompiled_charsmap: " + what);
    };
    // [u32 little-endian: trie size in bytes] [trie: u32 units] [replacements, NUL-terminated]
    if (blob.size() < 4) fail("shorter than its 4-byte header");
    const uint32_t trie_bytes = read_u32le(blob, 0);
    if (trie_bytes % 4 != 0) fail("trie size " + std::to_string(trie_bytes) + " is not a multiple of 4");
    if (trie_bytes == 0) fail("empty trie");
    if (trie_bytes > blob.size() - 4) fail("trie size " + std::to_string(trie_bytes) + " is past the end");
    trie_.resize(trie_bytes / 4);
    for (std::size_t i = 0; i < trie_.size(); ++i) trie_[i] = read_u32le(blob, 4 + 4 * i);
    normalized_ = std::string(blob.substr(4 + trie_bytes));
    if (utf8_find_invalid(normalized_) != utf8_npos) fail("the replacements are not valid UTF-8");
}

bool PrecompiledCharsmap::transform(std::string_view key, std::string_view* replacement) const noexcept {
    // Darts-clone's commonPrefixSearch, stopping at the first (shortest) match, as spm_precompiled does.
    const std::size_t size = trie_.size();
    if (size == 0) return false;
    std::size_t node = offset(trie_[0]);
    for (const char ch : key) {
        const uint32_t c = static_cast<unsigned char>(ch);
        if (c == 0) return false;
        node ^= c;
        if (node >= size) return false;
        const uint32_t unit = trie_[node];
        if (label(unit) != c) return false;
        node ^= offset(unit);
        if (has_leaf(unit)) {
            if (node >= size) return false;
            const std::size_t begin = value(trie_[node]);
            // Past the end, or inside a UTF-8 sequence: a forged trie (Hugging Face would panic).
            if (begin > normalized_.size() || (begin < normalized_.size() && is_continuation(normalized_[begin]))) {
                return false;
            }
            std::size_t end = normalized_.find('\0', begin);
            if (end == std::string::npos) end = normalized_.size();
            *replacement = std::string_view(normalized_).substr(begin, end - begin);
            return true;
        }
    }
    return false;
}

void PrecompiledCharsmap::normalize(std::string_view text, std::string& out) const {
    if (empty()) {
        out.append(text);
        return;
    }
    std::string_view replacement;
    // One grapheme cluster [begin, end): Hugging Face's rule (see the header).
    auto cluster = [&](std::size_t begin, std::size_t end) {
        const std::string_view g = text.substr(begin, end - begin);
        if (g.size() < 6 && transform(g, &replacement)) {
            out.append(replacement);
            return;
        }
        for (std::size_t pos = 0; pos < g.size();) {
            std::size_t next = pos + 1;
            while (next < g.size() && is_continuation(g[next])) ++next;
            const std::string_view c = g.substr(pos, next - pos);
            if (transform(c, &replacement)) {
                out.append(replacement);
            } else {
                out.append(c);
            }
            pos = next;
        }
    };
    utf8proc_int32_t state = 0;
    char32_t previous = 0;
    std::size_t begin = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t cp;
        const std::size_t next = utf8_next(text, pos, &cp);  // text is valid UTF-8: the caller checked
        if (pos > 0 && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                        static_cast<utf8proc_int32_t>(cp), &state)) {
            cluster(begin, pos);
            begin = pos;
        }
        previous = cp;
        pos = next;
    }
    if (begin < text.size()) cluster(begin, text.size());
}

}  // namespace edgembed
