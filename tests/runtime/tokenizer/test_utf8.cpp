#include "runtime/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"

namespace edgembed {
namespace {

// The offset reported by utf8_validate / utf8_decode, or -1 when the text is accepted.
long error_offset(const std::string& text) {
    try {
        utf8_decode(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_utf8);
        const std::string prefix = "invalid UTF-8 at byte ";
        EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
        const long offset = std::stol(std::string(e.what()).substr(prefix.size()));
        // Every entry point reports the same offset.
        EXPECT_EQ(utf8_find_invalid(text), static_cast<std::size_t>(offset));
        EXPECT_THROW(utf8_validate(text), Error);
        return offset;
    }
    EXPECT_EQ(utf8_find_invalid(text), utf8_npos);
    EXPECT_NO_THROW(utf8_validate(text));
    return -1;
}

// Naive reference: decode the bits, then require the shortest form, no surrogate, <= U+10FFFF.
bool reference_valid(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned b = static_cast<unsigned char>(s[i]);
        std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        char32_t c = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned cb = static_cast<unsigned char>(s[i + k]);
            if ((cb & 0xC0) != 0x80) return false;
            c = (c << 6) | (cb & 0x3F);
        }
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || utf8_length(c) != len) return false;
        i += len;
    }
    return true;
}

TEST(Utf8, Empty) {
    EXPECT_TRUE(utf8_decode("").empty());
    EXPECT_EQ(utf8_find_invalid(""), utf8_npos);
    EXPECT_EQ(utf8_encode(U""), "");
}

TEST(Utf8, DecodesEveryLength) {
    EXPECT_EQ(utf8_decode("a\x7f"), U"a\x7f");
    EXPECT_EQ(utf8_decode("\xC2\x80\xDF\xBF"), U"\u0080\u07FF");
    EXPECT_EQ(utf8_decode("\xE0\xA0\x80\xEF\xBF\xBF"), U"\u0800\uFFFF");
    EXPECT_EQ(utf8_decode("\xED\x9F\xBF\xEE\x80\x80"), U"\uD7FF\uE000");
    EXPECT_EQ(utf8_decode("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"), U"\U00010000\U0010FFFF");
    EXPECT_EQ(utf8_decode(std::string("a\0b", 3)), std::u32string(U"a\0b", 3));
}

TEST(Utf8, RoundTripsEveryScalarValue) {
    std::string s;
    for (char32_t c = 0; c <= 0x10FFFF; ++c) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        s.clear();
        utf8_append(s, c);
        ASSERT_EQ(s.size(), utf8_length(c)) << std::hex << c;
        char32_t back = 0;
        ASSERT_EQ(utf8_next(s, 0, &back), s.size()) << std::hex << c;
        ASSERT_EQ(back, c);
    }
}

TEST(Utf8, InvalidClassesReportTheirOffset) {
    EXPECT_EQ(error_offset("\x80"), 0);                      // stray continuation byte
    EXPECT_EQ(error_offset("abc\xBF"), 3);
    EXPECT_EQ(error_offset("ab\xC0\x80"), 2);                // overlong NUL
    EXPECT_EQ(error_offset("\xC1\xBF"), 0);                  // overlong U+007F
    EXPECT_EQ(error_offset("x\xE0\x80\x80"), 1);             // overlong 3-byte
    EXPECT_EQ(error_offset("\xE0\x9F\xBF"), 0);              // overlong U+07FF
    EXPECT_EQ(error_offset("\xF0\x80\x80\x80"), 0);          // overlong 4-byte
    EXPECT_EQ(error_offset("\xF0\x8F\xBF\xBF"), 0);          // overlong U+FFFF
    EXPECT_EQ(error_offset("ok\xED\xA0\x80"), 2);            // U+D800
    EXPECT_EQ(error_offset("\xED\xBF\xBF"), 0);              // U+DFFF
    EXPECT_EQ(error_offset("\xED\xA0\xBD\xED\xB8\x80"), 0);  // CESU-8 surrogate pair
    EXPECT_EQ(error_offset("\xF4\x90\x80\x80"), 0);          // U+110000
    EXPECT_EQ(error_offset("\xF5\x80\x80\x80"), 0);
    EXPECT_EQ(error_offset("\xF8\x88\x80\x80\x80"), 0);      // 5-byte form
    EXPECT_EQ(error_offset("\xFE"), 0);
    EXPECT_EQ(error_offset("\xFF"), 0);
    EXPECT_EQ(error_offset("\xC3"), 0);                      // truncated at the end
    EXPECT_EQ(error_offset("abc\xE2\x82"), 3);
    EXPECT_EQ(error_offset("\xF0\x9F\x98"), 0);
    EXPECT_EQ(error_offset("\xE2\x82x"), 0);                 // cut short by an ASCII byte
    EXPECT_EQ(error_offset("\xF0\x9F\x98\xC3\xA9"), 0);      // cut short by a lead byte
    EXPECT_EQ(error_offset("caf\xC3\xA9 \xC3(x"), 6);
}

TEST(Utf8, OffsetAfterTheAsciiFastPath) {
    for (std::size_t prefix = 0; prefix < 40; ++prefix) {
        const std::string text = std::string(prefix, 'a') + "\xC3\xA9" + std::string(prefix % 9, 'b') + "\x80zz";
        EXPECT_EQ(error_offset(text), static_cast<long>(prefix + 2 + prefix % 9)) << prefix;
    }
}

TEST(Utf8, MatchesReferenceOnAllShortSequences) {
    // Every 1- and 2-byte string, and every 3- and 4-byte string starting with a multi-byte lead byte
    // whose other bytes come from a set covering every boundary of Table 3-7.
    const unsigned char probes[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF,
                                    0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
    auto check = [](const std::string& s) {
        const bool ok = utf8_find_invalid(s) == utf8_npos;
        if (ok != reference_valid(s)) return false;
        if (ok) {  // decoding agrees with re-encoding
            std::u32string cps;
            utf8_decode(s, cps);
            return utf8_encode(cps) == s;
        }
        return true;
    };
    std::string s;
    for (unsigned a = 0; a < 256; ++a) {
        s.assign(1, static_cast<char>(a));
        ASSERT_TRUE(check(s)) << a;
        for (unsigned b = 0; b < 256; ++b) {
            s.assign({static_cast<char>(a), static_cast<char>(b)});
            ASSERT_TRUE(check(s)) << a << ' ' << b;
        }
    }
    for (unsigned a = 0xC0; a < 256; ++a) {
        for (unsigned b = 0; b < 256; ++b) {
            for (unsigned char c : probes) {
                s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
                ASSERT_TRUE(check(s)) << a << ' ' << b << ' ' << int(c);
                for (unsigned char d : probes) {
                    s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
                    ASSERT_TRUE(check(s)) << a << ' ' << b << ' ' << int(c) << ' ' << int(d);
                }
            }
        }
    }
}

}  // namespace
}  // namespace edgembed
