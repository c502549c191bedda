#include "runtime/tokenizer/bpe_pre_tokenizer.h"

#include <array>

#include <utf8proc.h>

#include "runtime/tokenizer/hf_unicode_versions.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

constexpr std::array<BpeCharClass, 128> ascii_classes = [] {
    std::array<BpeCharClass, 128> t{};
    for (int c = 0; c < 128; ++c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            t[c] = BpeCharClass::letter;
        } else if (c >= '0' && c <= '9') {
            t[c] = BpeCharClass::number;
        } else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
            t[c] = BpeCharClass::space;
        } else {
            t[c] = BpeCharClass::other;
        }
    }
    return t;
}();

struct Char {
    char32_t cp;
    uint32_t len;  // bytes
    BpeCharClass cls;
};

inline Char char_at(std::string_view text, std::size_t pos) noexcept {
    const auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) return Char{b, 1, ascii_classes[b]};
    char32_t cp = 0;
    const std::size_t next = utf8_next(text, pos, &cp);
    if (next == utf8_npos) return Char{0xFFFD, 1, BpeCharClass::other};
    return Char{cp, static_cast<uint32_t>(next - pos), bpe_char_class(cp)};
}

// The end of the run of class `cls` that starts at pos.
inline std::size_t run_end(std::string_view text, std::size_t pos, BpeCharClass cls) noexcept {
    while (pos < text.size()) {
        const Char c = char_at(text, pos);
        if (c.cls != cls) break;
        pos += c.len;
    }
    return pos;
}

inline std::size_t crlf_run_end(std::string_view text, std::size_t pos) noexcept {
    while (pos < text.size() && (text[pos] == '\r' || text[pos] == '\n')) ++pos;
    return pos;
}

struct SpaceRun {
    std::size_t end;         // the first byte after the run
    std::size_t last_start;  // where its last character starts
    std::size_t crlf_end;    // just after its last \r or \n; 0 when it has none
    std::size_t chars;
};

inline SpaceRun space_run(std::string_view text, std::size_t pos) noexcept {
    SpaceRun run{pos, pos, 0, 0};
    while (run.end < text.size()) {
        const Char c = char_at(text, run.end);
        if (c.cls != BpeCharClass::space) break;
        run.last_start = run.end;
        run.end += c.len;
        if (c.cp == '\r' || c.cp == '\n') run.crlf_end = run.end;
        ++run.chars;
    }
    return run;
}

// \s+(?!\S)|\s+ at pos (a whitespace character): the whole run at the end of the text; else the run but
// its last character (which then starts the next word), unless the run is a single character.
inline std::size_t trailing_space_word_end(std::string_view text, const SpaceRun& run) noexcept {
    if (run.end == text.size()) return run.end;
    return run.chars >= 2 ? run.last_start : run.end;
}

// 's|'t|'re|'ve|'m|'ll|'d after the apostrophe at pos (case-sensitive ASCII); 0 when none matches.
inline std::size_t gpt2_contraction_end(std::string_view text, std::size_t pos) noexcept {
    if (pos + 1 >= text.size()) return 0;
    const char a = text[pos + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 2;
    if (pos + 2 >= text.size()) return 0;
    const char b = text[pos + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return pos + 3;
    return 0;
}

// The letter a contraction character matches case-insensitively (Oniguruma's Unicode case folding: U+017F
// LATIN SMALL LETTER LONG S folds to 's'); 0 for any other character.
inline char folded_contraction_letter(char32_t cp) noexcept {
    if (cp == 0x017F) return 's';
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    switch (cp) {
        case 's': case 't': case 'r': case 'e': case 'v': case 'm': case 'l': case 'd':
            return static_cast<char>(cp);
        default:
            return 0;
    }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d) after the apostrophe at pos; 0 when none matches.
inline std::size_t qwen2_contraction_end(std::string_view text, std::size_t pos) noexcept {
    std::size_t p = pos + 1;
    if (p >= text.size()) return 0;
    const Char a = char_at(text, p);
    const char fa = folded_contraction_letter(a.cp);
    p += a.len;
    if (fa == 's' || fa == 't' || fa == 'm' || fa == 'd') return p;
    if (fa != 'r' && fa != 'v' && fa != 'l') return 0;
    if (p >= text.size()) return 0;
    const Char b = char_at(text, p);
    const char fb = folded_contraction_letter(b.cp);
    if ((fa == 'l' && fb == 'l') || (fa != 'l' && fb == 'e')) return p + b.len;
    return 0;
}

std::size_t gpt2_word_end(std::string_view text, std::size_t pos) noexcept {
    const Char c = char_at(text, pos);
    if (c.cp == '\'') {
        if (const std::size_t end = gpt2_contraction_end(text, pos)) return end;
    }
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a space joins the run that follows it.
    if (c.cp == ' ' && pos + 1 < text.size()) {
        const Char d = char_at(text, pos + 1);
        if (d.cls != BpeCharClass::space) return run_end(text, pos + 1 + d.len, d.cls);
    }
    if (c.cls != BpeCharClass::space) return run_end(text, pos + c.len, c.cls);
    return trailing_space_word_end(text, space_run(text, pos));
}

std::size_t qwen2_word_end(std::string_view text, std::size_t pos) noexcept {
    const Char c = char_at(text, pos);
    if (c.cp == '\'') {
        if (const std::size_t end = qwen2_contraction_end(text, pos)) return end;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c.cls == BpeCharClass::letter) return run_end(text, pos + c.len, BpeCharClass::letter);
    if (c.cls != BpeCharClass::number && c.cp != '\r' && c.cp != '\n' && pos + c.len < text.size()) {
        const Char d = char_at(text, pos + c.len);
        if (d.cls == BpeCharClass::letter) return run_end(text, pos + c.len + d.len, BpeCharClass::letter);
    }
    // \p{N}
    if (c.cls == BpeCharClass::number) return pos + c.len;
    // " ?[^\s\p{L}\p{N}]+[\r\n]*"
    if (c.cp == ' ' && pos + 1 < text.size()) {
        const Char d = char_at(text, pos + 1);
        if (d.cls == BpeCharClass::other) {
            return crlf_run_end(text, run_end(text, pos + 1 + d.len, BpeCharClass::other));
        }
    }
    if (c.cls == BpeCharClass::other) {
        return crlf_run_end(text, run_end(text, pos + c.len, BpeCharClass::other));
    }
    // \s*[\r\n]+ (backtracking to the last \r or \n of the run), then \s+(?!\S)|\s+
    const SpaceRun run = space_run(text, pos);
    if (run.crlf_end != 0) return run.crlf_end;
    return trailing_space_word_end(text, run);
}

}  // namespace

BpeCharClass bpe_char_class(char32_t cp) noexcept {
    if (cp < 0x80) return ascii_classes[cp];
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
            return BpeCharClass::letter;
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            return BpeCharClass::number;
        case UTF8PROC_CATEGORY_ZS:
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
            return BpeCharClass::space;
        case UTF8PROC_CATEGORY_CN:
            if (hf_unicode::is_unicode16_letter(cp)) return BpeCharClass::letter;
            if (hf_unicode::is_unicode16_number(cp)) return BpeCharClass::number;
            return BpeCharClass::other;
        default:
            return cp == 0x85 ? BpeCharClass::space : BpeCharClass::other;  // U+0085 NEXT LINE is Cc
    }
}

std::size_t bpe_word_end(std::string_view text, std::size_t pos, BpeSplitPattern pattern) noexcept {
    return pattern == BpeSplitPattern::qwen2 ? qwen2_word_end(text, pos) : gpt2_word_end(text, pos);
}

}  // namespace edgembed
