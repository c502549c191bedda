// Strict UTF-8 decoding and encoding (RFC 3629 / Unicode "well-formed" UTF-8).
// Rejected: stray continuation bytes, overlong forms, UTF-16 surrogates (U+D800..U+DFFF), code points
// above U+10FFFF, bytes 0xC0/0xC1/0xF5..0xFF, and sequences cut short by the end of the text or by a
// non-continuation byte. Errors are edgembed::Error(Status::invalid_utf8, "invalid UTF-8 at byte N"),
// N being the offset of the first byte of the ill-formed sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace edgembed {

inline constexpr std::size_t utf8_npos = static_cast<std::size_t>(-1);

// Decodes the code point starting at text[pos] (pos < text.size()), stores it in *cp and returns the
// position just after it; returns utf8_npos when the sequence there is ill-formed.
std::size_t utf8_next(std::string_view text, std::size_t pos, char32_t* cp) noexcept;

// Offset of the first ill-formed sequence, or utf8_npos when the whole text is valid.
std::size_t utf8_find_invalid(std::string_view text) noexcept;

// Throws Error(invalid_utf8) when text is not valid UTF-8.
void utf8_validate(std::string_view text);

// Appends the code points of text to out; throws Error(invalid_utf8) (out is then unspecified).
void utf8_decode(std::string_view text, std::u32string& out);
std::u32string utf8_decode(std::string_view text);

// Appends the UTF-8 form of cp (cp must be a Unicode scalar value: <= U+10FFFF, not a surrogate).
void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(std::u32string_view cps);

// Byte length of the UTF-8 form of a scalar value.
constexpr std::size_t utf8_length(char32_t cp) noexcept {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

}  // namespace edgembed
