#include "runtime/tokenizer/bert_normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstddef>

#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

inline utf8proc_category_t category(char32_t c) noexcept {
    return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Nothing below U+0300 has a nonzero canonical combining class, nothing below U+00C0 a canonical
// decomposition, nothing below U+0300 is Mn.
constexpr char32_t first_combining = 0x300;
constexpr char32_t first_decomposable = 0xC0;

inline int combining_class(char32_t c) noexcept {
    if (c < first_combining) return 0;
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// Appends the canonical decomposition (NFD) of c, not yet canonically ordered (see canonical_order).
inline void append_nfd(std::u32string& buf, char32_t c) {
    if (c < first_decomposable) {
        buf.push_back(c);
        return;
    }
    utf8proc_int32_t d[8];  // canonical decompositions are at most 4 code points long
    int boundclass = 0;
    const utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), d, 8, UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > 8) {  // cannot happen for a scalar value; keep the character unchanged
        buf.push_back(c);
        return;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) buf.push_back(static_cast<char32_t>(d[i]));
}

// The canonical ordering algorithm: a stable sort of each run of nonzero combining classes by class.
// Runs are sorted once they are complete, so a hostile run of a million marks costs O(n log n); moving
// each mark back to its place as it arrives would be quadratic (minutes for a 1 MB text).
void canonical_order(std::u32string& s) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        if (combining_class(s[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        bool ordered = true;
        for (int previous = combining_class(s[i]); end < n; ++end) {
            const int cc = combining_class(s[end]);
            if (cc == 0) break;
            ordered &= cc >= previous;
            previous = cc;
        }
        if (!ordered)
            std::stable_sort(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(end),
                             [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
        i = end;
    }
}

inline bool is_mark_nonspacing(char32_t c) noexcept {
    return c >= first_combining && category(c) == UTF8PROC_CATEGORY_MN;
}

// Rust char::to_lowercase: the simple mapping, except U+0130 whose full mapping is "i\u0307" (the only
// unconditional multi-character lowercase mapping in SpecialCasing.txt).
inline void append_lowercase(std::u32string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x130) {
        out.push_back('i');
        out.push_back(0x307);
    } else {
        out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
}

}  // namespace

namespace bert_detail {

bool is_whitespace_slow(char32_t c) noexcept {
    switch (c) {
        case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200A;
    }
}

bool is_punctuation_slow(char32_t c) noexcept {
    const utf8proc_category_t cat = category(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

}  // namespace bert_detail

bool bert_is_control(char32_t c) noexcept {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return true;
    if (c < 0xA0) return false;
    switch (category(c)) {
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CS:
            return true;
        default:  // not Cn: see the header
            return false;
    }
}

bool bert_is_chinese_char(char32_t c) noexcept {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void BertNormalizer::normalize(std::u32string_view text, std::u32string& out, std::u32string& scratch) const {
    const bool clean = options_.clean_text;
    const bool chinese = options_.handle_chinese_chars;
    const bool strip = options_.strip_accents;
    const bool lower = options_.lowercase;

    // Pass 1: clean_text, handle_chinese_chars and the NFD half of strip_accents. NFD may reorder
    // combining marks across the boundaries of the input characters, so it completes before pass 2.
    std::u32string& mid = scratch;
    mid.clear();
    mid.reserve(text.size() + 8);
    for (char32_t c : text) {
        if (clean) {
            if (c == 0 || c == 0xFFFD || bert_is_control(c)) continue;
            if (bert_is_whitespace(c)) c = ' ';
        }
        if (chinese && c >= 0x3400 && bert_is_chinese_char(c)) {
            mid.push_back(' ');
            if (strip) {
                append_nfd(mid, c);  // F900-FAFF and 2F800-2FA1F decompose to unified ideographs
            } else {
                mid.push_back(c);
            }
            mid.push_back(' ');
        } else if (strip) {
            append_nfd(mid, c);
        } else {
            mid.push_back(c);
        }
    }

    if (strip) canonical_order(mid);

    // Pass 2: drop Mn (strip_accents), then lowercase.
    out.reserve(out.size() + mid.size());
    for (char32_t c : mid) {
        if (strip && is_mark_nonspacing(c)) continue;
        if (lower) {
            append_lowercase(out, c);
        } else {
            out.push_back(c);
        }
    }
}

std::string BertNormalizer::normalize(std::string_view utf8) const {
    const std::u32string in = utf8_decode(utf8);
    std::u32string out, scratch;
    normalize(in, out, scratch);
    return utf8_encode(out);
}

std::vector<std::string> bert_pre_tokenize(std::string_view utf8) {
    const std::u32string in = utf8_decode(utf8);
    std::vector<std::string> words;
    bert_pre_tokenize(std::u32string_view(in), [&](std::u32string_view w) { words.push_back(utf8_encode(w)); });
    return words;
}

}  // namespace edgembed
