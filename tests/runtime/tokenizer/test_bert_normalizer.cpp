#include "runtime/tokenizer/bert_normalizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {
namespace {

using Words = std::vector<std::string>;

std::string norm(const std::string& text, BertNormalizerOptions options = {}) {
    return BertNormalizer(options).normalize(text);
}

// Normalize, then pre-tokenize: what WordPiece sees.
Words words(const std::string& text, BertNormalizerOptions options = {}) {
    return bert_pre_tokenize(norm(text, options));
}

BertNormalizerOptions only(bool clean, bool chinese, bool strip, bool lower) {
    return BertNormalizerOptions{clean, chinese, strip, lower};
}

TEST(BertNormalizer, EmptyAndWhitespaceOnly) {
    EXPECT_EQ(norm(""), "");
    EXPECT_EQ(norm(" \t\n\r"), "    ");
    EXPECT_EQ(words(""), Words{});
    EXPECT_EQ(words(" \t\n\r \u00a0\u3000\u2028"), Words{});
}

TEST(BertNormalizer, CleanTextDropsControlsThenMapsWhitespace) {
    // \v \f U+0085 are Cc: dropped before the whitespace mapping, so they join their neighbours.
    EXPECT_EQ(norm("a\vb\fc\u0085d"), "abcd");
    EXPECT_EQ(norm(std::string("a\0b", 3)), "ab");
    EXPECT_EQ(norm("a\ufffdb"), "ab");
    EXPECT_EQ(norm("a\x01\x1f\x7f\u0080\u009fb"), "ab");
    EXPECT_EQ(norm("a\u200bb\u200dc\ufeffd\u00ade\u2060f"), "abcdef");  // Cf
    EXPECT_EQ(norm("a\ue000b\U000f0000c\U0010fffdd"), "abcd");        // Co
    EXPECT_EQ(norm("a\tb\nc\rd"), "a b c d");
    EXPECT_EQ(norm("a\u00a0b\u1680c\u2000d\u200ae\u2028f\u2029g\u202fh\u205fi\u3000j"), "a b c d e f g h i j");
    // Unassigned (Cn) is kept, as `tokenizers` does (its Cn table is empty).
    EXPECT_EQ(norm("a\u0378b"), "a\u0378b");
    EXPECT_EQ(norm("a\ufffeb"), "a\ufffeb");
}

TEST(BertNormalizer, CleanTextOff) {
    const auto opts = only(false, true, true, true);
    EXPECT_EQ(norm(std::string("a\0b\vc", 5), opts), std::string("a\0b\vc", 5));
    EXPECT_EQ(words(std::string("A\0b\vc\u0085d", 8), opts), (Words{std::string("a\0b", 3), "c", "d"}));
}

TEST(BertNormalizer, ChineseCharsAreIsolated) {
    EXPECT_EQ(norm("中文abc"), " 中  文 abc");
    EXPECT_EQ(words("hello中文world"), (Words{"hello", "中", "文", "world"}));
    EXPECT_EQ(words("日本語のテキスト"), (Words{"日", "本", "語", "のテキスト"}));  // kana are not CJK
    EXPECT_EQ(norm("\uf900"), " \u8c48 ");  // compatibility ideograph: spaced, then NFD to U+8C48
    EXPECT_EQ(norm("\uf900", only(true, true, false, true)), " \uf900 ");
    EXPECT_EQ(norm("中文", only(true, false, true, true)), "中文");
}

TEST(BertNormalizer, ChineseCharRanges) {
    const char32_t ranges[][2] = {{0x4E00, 0x9FFF},   {0x3400, 0x4DBF},   {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
                                  {0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0xF900, 0xFAFF},   {0x2F800, 0x2FA1F}};
    for (const auto& r : ranges) {
        EXPECT_TRUE(bert_is_chinese_char(r[0]));
        EXPECT_TRUE(bert_is_chinese_char(r[1]));
        EXPECT_TRUE(bert_is_chinese_char((r[0] + r[1]) / 2));
    }
    for (char32_t c : {0x4DFFu, 0xA000u, 0x33FFu, 0x2B820u, 0x2B91Fu, 0x2CEB0u, 0xF8FFu, 0xFB00u, 0x2F7FFu, 0x2FA20u,
                       0x3041u, 0xAC00u, 0x2E80u}) {
        EXPECT_FALSE(bert_is_chinese_char(c)) << std::hex << c;
    }
}

TEST(BertNormalizer, StripAccentsAndLowercase) {
    EXPECT_EQ(norm("Héllo WÖRLD Ångström Crème Brûlée"), "hello world angstrom creme brulee");
    EXPECT_EQ(norm("e\u0301\u0301\u0301"), "e");
    EXPECT_EQ(norm("\u0301"), "");
    EXPECT_EQ(norm("ß ẞ Œ Ø Đ Ł"), "ß ß œ ø đ ł");  // no canonical decomposition: only lowercased
    EXPECT_EQ(norm("\u212a\u2126\u212b"), "kωa");   // singleton decompositions K Ω Å
    EXPECT_EQ(norm("각"), "\u1100\u1161\u11a8");     // Hangul syllable -> conjoining jamo
    EXPECT_EQ(norm("ΣΑΣ Άσος"), "σασ ασος");       // per character: no final-sigma rule
    EXPECT_EQ(norm("ﬁ Ⅻ Ａ"), "ﬁ ⅻ ａ");            // compatibility forms are not decomposed
}

TEST(BertNormalizer, TurkishDottedCapitalI) {
    EXPECT_EQ(norm("İ"), "i");                                  // NFD I + U+0307, mark stripped
    EXPECT_EQ(norm("İ", only(true, true, false, true)), "i\u0307");  // full lowercase mapping
    EXPECT_EQ(norm("İ", only(true, true, false, false)), "İ");
    EXPECT_EQ(norm("ı I"), "ı i");
}

TEST(BertNormalizer, NoStripNoLowercase) {
    EXPECT_EQ(norm("Ünïcode CAFÉ", only(true, true, false, false)), "Ünïcode CAFÉ");
    EXPECT_EQ(norm("Ünïcode CAFÉ", only(true, true, false, true)), "ünïcode café");
    EXPECT_EQ(norm("Ünïcode CAFÉ", only(true, true, true, false)), "Unicode CAFE");
}

TEST(BertNormalizer, CanonicalOrderingBeforeStripping) {
    // U+1D16D (ccc 226) and U+1D165 (ccc 216) are Mc: they survive stripping, in canonical order.
    EXPECT_EQ(norm("\U0001d16d\U0001d165"), "\U0001d165\U0001d16d");
    // An Mn of class 0 (U+034F) ends the run: no reordering across it, then it is stripped.
    EXPECT_EQ(norm("\U0001d16d\u034f\U0001d165"), "\U0001d16d\U0001d165");
    // Class 230 marks (stripped) between them do not stop the reordering.
    EXPECT_EQ(norm("\U0001d16d\u0301\U0001d165"), "\U0001d165\U0001d16d");
    // Musical symbol decompositions: U+1D15E -> 1D157 1D165, U+1D160 -> 1D158 1D165 1D16E.
    EXPECT_EQ(norm("\U0001d15e\U0001d160"), "\U0001d157\U0001d165\U0001d158\U0001d165\U0001d16e");
    EXPECT_EQ(norm("\U0001d16d\U0001d165", only(true, true, false, true)), "\U0001d16d\U0001d165");
}

TEST(BertNormalizer, CharacterClasses) {
    for (char32_t c : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x2005u, 0x200Au,
                       0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
        EXPECT_TRUE(bert_is_whitespace(c)) << std::hex << c;
    }
    for (char32_t c : {0x00u, 0x08u, 0x0Eu, 0x1Cu, 0x1Fu, 0x41u, 0x180Eu, 0x200Bu, 0x2060u, 0xFEFFu}) {
        EXPECT_FALSE(bert_is_whitespace(c)) << std::hex << c;
    }
    for (char32_t c : {0x00u, 0x0Bu, 0x0Cu, 0x1Fu, 0x7Fu, 0x85u, 0x9Fu, 0xADu, 0x600u, 0x200Bu, 0xFEFFu, 0xE000u,
                       0xF8FFu, 0xF0000u, 0x10FFFDu, 0xE0001u}) {
        EXPECT_TRUE(bert_is_control(c)) << std::hex << c;
    }
    for (char32_t c : {0x09u, 0x0Au, 0x0Du, 0x20u, 0x41u, 0xA0u, 0x378u, 0xFFFEu, 0xFFFDu, 0x1F600u}) {
        EXPECT_FALSE(bert_is_control(c)) << std::hex << c;
    }
    for (char32_t c = 0; c < 0x80; ++c) {
        const bool ascii_punct = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
                                 (c >= 123 && c <= 126);
        EXPECT_EQ(bert_is_punctuation(c), ascii_punct) << c;
    }
    for (char32_t c : {0xA1u, 0xABu, 0xBFu, 0x2010u, 0x2014u, 0x201Cu, 0x2026u, 0x3001u, 0x300Cu, 0xFF0Cu, 0x5BEu}) {
        EXPECT_TRUE(bert_is_punctuation(c)) << std::hex << c;
    }
    for (char32_t c : {0xA2u, 0xD7u, 0x2122u, 0x20ACu, 0x1F600u, 0x378u}) {  // symbols (S*) are not split
        EXPECT_FALSE(bert_is_punctuation(c)) << std::hex << c;
    }
}

TEST(BertPreTokenizer, SplitsOnWhitespaceAndPunctuation) {
    EXPECT_EQ(words("Hello, world!"), (Words{"hello", ",", "world", "!"}));
    EXPECT_EQ(words("a--b"), (Words{"a", "-", "-", "b"}));
    EXPECT_EQ(words("$5 a+b a^b a`b a~b"), (Words{"$", "5", "a", "+", "b", "a", "^", "b", "a", "`", "b", "a", "~", "b"}));
    EXPECT_EQ(words("a—b«c»d…"), (Words{"a", "—", "b", "«", "c", "»", "d", "…"}));
    EXPECT_EQ(words("a×b €5 ™"), (Words{"a×b", "€5", "™"}));
    EXPECT_EQ(words("  multiple   spaces\t\ttabs \n\n"), (Words{"multiple", "spaces", "tabs"}));
    EXPECT_EQ(words("[SEP]"), (Words{"[", "sep", "]"}));
    EXPECT_EQ(words("don't"), (Words{"don", "'", "t"}));
    EXPECT_EQ(words("e.g. U.S.A."), (Words{"e", ".", "g", ".", "u", ".", "s", ".", "a", "."}));
}

TEST(BertPreTokenizer, WithoutCleanTextEveryWhitespaceSplits) {
    EXPECT_EQ(bert_pre_tokenize("a\u00a0b\u3000c\u0085d\ve"), (Words{"a", "b", "c", "d", "e"}));
}

TEST(BertNormalizer, InvalidUtf8Throws) {
    try {
        norm("ok \xC3(");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_utf8);
        EXPECT_STREQ(e.what(), "invalid UTF-8 at byte 3");
    }
    EXPECT_THROW(bert_pre_tokenize("\xED\xA0\x80"), Error);
}

TEST(BertNormalizer, ScratchBuffersAreReusable) {
    const BertNormalizer n;
    std::u32string out, scratch;
    n.normalize(U"Ça", out, scratch);
    n.normalize(U" Va!", out, scratch);  // appends
    EXPECT_EQ(utf8_encode(out), "ca va!");
}

}  // namespace
}  // namespace edgembed
