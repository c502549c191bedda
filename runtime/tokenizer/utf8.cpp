#include "runtime/tokenizer/utf8.h"

#include <cstdint>
#include <cstring>

#include "base/error.h"

namespace edgembed {

std::size_t utf8_next(std::string_view text, std::size_t pos, char32_t* cp) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    const unsigned b0 = s[pos];
    if (b0 < 0x80) {
        *cp = b0;
        return pos + 1;
    }
    // Table 3-7 of the Unicode standard (well-formed byte sequences): the second byte's range depends
    // on the lead byte, which rules out overlongs, surrogates and values above U+10FFFF.
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    char32_t c;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        c = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        c = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
    } else {
        return utf8_npos;  // continuation byte, 0xC0, 0xC1, 0xF5..0xFF
    }
    if (n - pos < len) return utf8_npos;
    const unsigned b1 = s[pos + 1];
    if (b1 < lo || b1 > hi) return utf8_npos;
    c = (c << 6) | (b1 & 0x3F);
    for (std::size_t i = 2; i < len; ++i) {
        const unsigned b = s[pos + i];
        if ((b & 0xC0) != 0x80) return utf8_npos;
        c = (c << 6) | (b & 0x3F);
    }
    *cp = c;
    return pos + len;
}

std::size_t utf8_find_invalid(std::string_view text) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t pos = 0;
    while (pos < n) {
        // ASCII fast path, 8 bytes at a time.
        while (pos + 8 <= n) {
            uint64_t w;
            std::memcpy(&w, s + pos, 8);
            if (w & 0x8080808080808080ull) break;
            pos += 8;
        }
        if (pos >= n) break;
        if (s[pos] < 0x80) {
            ++pos;
            continue;
        }
        char32_t cp;
        const std::size_t next = utf8_next(text, pos, &cp);
        if (next == utf8_npos) return pos;
        pos = next;
    }
    return utf8_npos;
}

namespace {
[[noreturn]] void throw_invalid(std::size_t pos) {
    throw Error(Status::invalid_utf8, "invalid UTF-8 at byte " + std::to_string(pos));
}
}  // namespace

void utf8_validate(std::string_view text) {
    const std::size_t bad = utf8_find_invalid(text);
    if (bad != utf8_npos) throw_invalid(bad);
}

void utf8_decode(std::string_view text, std::u32string& out) {
    out.reserve(out.size() + text.size());
    const std::size_t n = text.size();
    std::size_t pos = 0;
    while (pos < n) {
        const unsigned char b = static_cast<unsigned char>(text[pos]);
        if (b < 0x80) {
            out.push_back(b);
            ++pos;
            continue;
        }
        char32_t cp;
        const std::size_t next = utf8_next(text, pos, &cp);
        if (next == utf8_npos) throw_invalid(pos);
        out.push_back(cp);
        pos = next;
    }
}

std::u32string utf8_decode(std::string_view text) {
    std::u32string out;
    utf8_decode(text, out);
    return out;
}

void utf8_append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 2);
    } else if (cp < 0x10000) {
        const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 4);
    }
}

std::string utf8_encode(std::u32string_view cps) {
    std::string out;
    out.reserve(cps.size());
    for (char32_t c : cps) utf8_append(out, c);
    return out;
}

}  // namespace edgembed
