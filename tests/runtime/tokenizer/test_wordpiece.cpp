#include "runtime/tokenizer/wordpiece.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgembed {
namespace {

using Ids = std::vector<int32_t>;

// A small hand-made vocab; ids are the line numbers.
const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",  // 0-4
    "hello", "world", "un", "##aff", "##able",     // 5-9
    "a", "##a", "aa", "##aa", ",",                 // 10-14
    "!", "中", "文", "[", "]",                     // 15-19
    "sep", "x", "y", "play", "##ing",              // 20-24
    "cafe", "i", "##b", "-", "e",                  // 25-29
};
constexpr int32_t PAD = 0, UNK = 1, CLS = 2, SEP = 3, MASK = 4, HELLO = 5, WORLD = 6, UN = 7, AFF = 8, ABLE = 9,
                  A = 10, CA = 11, AA = 12, CAA = 13, COMMA = 14, BANG = 15, ZHONG = 16, WEN = 17, LBR = 18,
                  RBR = 19, SEPW = 20, X = 21, Y = 22, PLAY = 23, ING = 24, CAFE = 25, I = 26, CB = 27, DASH = 28,
                  E = 29;

// A BERT tokenizer: WordPiece with verbatim added tokens and the [CLS] x [SEP] template.
struct Setup : WordPieceConfig {
    std::vector<std::string> added_tokens;
};

Setup config() {
    Setup c;
    c.vocab = kVocab;
    c.added_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    return c;
}

// The id the converter gives a token: its last line in the vocab (-1 when absent).
int32_t id_of(const Setup& s, const std::string& token) {
    const auto it = std::find(s.vocab.rbegin(), s.vocab.rend(), token);
    return it == s.vocab.rend() ? -1 : static_cast<int32_t>(s.vocab.rend() - it - 1);
}

Tokenizer build(const Setup& s) {
    TokenizerConfig c;
    c.type = "wordpiece";
    c.wordpiece = s;
    for (const std::string& token : s.added_tokens) c.added_tokens.push_back(AddedToken{token, id_of(s, token)});
    c.prefix = {CLS};
    c.suffix = {SEP};
    c.pad_id = PAD;
    return Tokenizer(c);
}

const Tokenizer& tok() {
    static const Tokenizer t = build(config());
    return t;
}

Ids pieces(const std::string& text) { return tok().encode_pieces(text); }

void expect_config_error(const Setup& c, const std::string& needle) {
    try {
        build(c);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_config);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(WordPiece, SpecialIds) {
    EXPECT_EQ(tok().prefix(), Ids{CLS});
    EXPECT_EQ(tok().suffix(), Ids{SEP});
    EXPECT_EQ(tok().pad_id(), PAD);
    EXPECT_EQ(dynamic_cast<const WordPieceModel&>(tok().pieces_model()).unk_id(), UNK);
    EXPECT_EQ(tok().pieces_model().token_to_id("##able"), ABLE);
    EXPECT_EQ(tok().pieces_model().token_to_id("able"), -1);
    EXPECT_EQ(tok().pieces_model().token_to_id(""), -1);
    EXPECT_EQ(tok().pieces_model().vocab_size(), kVocab.size());
}

TEST(WordPiece, ConstructorValidates) {
    auto c = config();
    c.vocab[UNK] = "[UNKNOWN]";
    expect_config_error(c, "\"[UNK]\"");
    c = config();
    c.added_tokens.push_back("");
    expect_config_error(c, "empty added token");
    c = config();
    c.vocab.clear();
    expect_config_error(c, "empty");
    c = config();
    c.max_input_chars_per_word = -1;
    expect_config_error(c, "max_input_chars_per_word");
}

TEST(WordPiece, EmptyAndWhitespaceOnly) {
    EXPECT_EQ(tok().encode("", 0), (Ids{CLS, SEP}));
    EXPECT_EQ(tok().encode("", 8), (Ids{CLS, SEP}));
    EXPECT_EQ(tok().encode(" \t\n\r\u00a0\u3000", 8), (Ids{CLS, SEP}));
    EXPECT_EQ(pieces(""), Ids{});
    EXPECT_EQ(pieces("\v\f\u0085"), Ids{});
}

TEST(WordPiece, GreedyLongestMatchFirst) {
    EXPECT_EQ(tok().encode("Hello, World!", 0), (Ids{CLS, HELLO, COMMA, WORLD, BANG, SEP}));
    EXPECT_EQ(pieces("unaffable"), (Ids{UN, AFF, ABLE}));
    EXPECT_EQ(pieces("playing"), (Ids{PLAY, ING}));
    EXPECT_EQ(pieces("aaa"), (Ids{AA, CA}));
    EXPECT_EQ(pieces("aaaa a"), (Ids{AA, CAA, A}));
    EXPECT_EQ(pieces("ib"), (Ids{I, CB}));
}

TEST(WordPiece, UnmatchableWordIsOneUnk) {
    EXPECT_EQ(pieces("helloq"), (Ids{UNK}));       // a matched prefix is discarded
    EXPECT_EQ(pieces("q hello"), (Ids{UNK, HELLO}));
    EXPECT_EQ(pieces("unaffablex"), (Ids{UNK}));
    EXPECT_EQ(pieces("##able"), (Ids{UNK, UNK, UNK}));  // '#' is punctuation: "#", "#", "able"
    EXPECT_EQ(pieces("\U0001F600"), (Ids{UNK}));
}

TEST(WordPiece, NormalizationApplies) {
    EXPECT_EQ(pieces("CAFÉ Café cafe\u0301"), (Ids{CAFE, CAFE, CAFE}));
    EXPECT_EQ(pieces("hello中文world"), (Ids{HELLO, ZHONG, WEN, WORLD}));
    EXPECT_EQ(pieces("İ"), (Ids{I}));
    EXPECT_EQ(pieces("x-y"), (Ids{X, DASH, Y}));
}

TEST(WordPiece, ControlCharactersJoinWords) {
    EXPECT_EQ(pieces(std::string("hel\0lo", 6)), (Ids{HELLO}));
    EXPECT_EQ(pieces("hel\ufffdlo"), (Ids{HELLO}));
    EXPECT_EQ(pieces("hel\u200blo"), (Ids{HELLO}));
    EXPECT_EQ(pieces("hello\vworld"), (Ids{UNK}));  // \v is dropped, not a space: "helloworld"
    EXPECT_EQ(pieces("hello\fworld"), (Ids{UNK}));
    EXPECT_EQ(pieces("hello\u0085world"), (Ids{UNK}));
    EXPECT_EQ(pieces("hello\u2028world"), (Ids{HELLO, WORLD}));
}

TEST(WordPiece, MaxInputCharsPerWordCountsNormalizedCharacters) {
    Ids fifty;
    fifty.push_back(AA);
    fifty.insert(fifty.end(), 49, CAA);
    EXPECT_EQ(pieces(std::string(100, 'a')), fifty);
    EXPECT_EQ(pieces(std::string(101, 'a')), (Ids{UNK}));
    std::string accented, combining;
    for (int i = 0; i < 100; ++i) accented += "\u00e1";  // NFD a + U+0301, mark stripped: 100 characters
    for (int i = 0; i < 100; ++i) combining += "a\u0301";
    EXPECT_EQ(pieces(accented), fifty);
    EXPECT_EQ(pieces(combining), fifty);
    EXPECT_EQ(pieces(accented + "\u00e1"), (Ids{UNK}));
    EXPECT_EQ(pieces(std::string(150, 'a') + " hello"), (Ids{UNK, HELLO}));

    auto c = config();
    c.max_input_chars_per_word = 5;
    const Tokenizer t = build(c);
    EXPECT_EQ(t.encode_pieces("hello helloo"), (Ids{HELLO, UNK}));
}

TEST(WordPiece, AddedTokensMatchRawText) {
    EXPECT_EQ(tok().encode("x[SEP]y", 0), (Ids{CLS, X, SEP, Y, SEP}));
    EXPECT_EQ(pieces("[SEP][SEP]"), (Ids{SEP, SEP}));
    EXPECT_EQ(pieces("[CLS] hello [MASK] [PAD] [UNK]"), (Ids{CLS, HELLO, MASK, PAD, UNK}));
    EXPECT_EQ(pieces("[[SEP]]"), (Ids{LBR, SEP, RBR}));
    EXPECT_EQ(pieces("[sep]"), (Ids{LBR, SEPW, RBR}));   // case-sensitive: not normalized first
    EXPECT_EQ(pieces("[SEP"), (Ids{LBR, SEPW}));
    EXPECT_EQ(pieces("[ SEP ]"), (Ids{LBR, SEPW, RBR}));
    EXPECT_EQ(pieces("Café[SEP]Hello"), (Ids{CAFE, SEP, HELLO}));
    EXPECT_EQ(pieces("un[MASK]able"), (Ids{UN, MASK, UNK}));  // no single_word: matched inside a word
}

TEST(WordPiece, AddedTokensLeftmostLongest) {
    auto c = config();
    c.vocab.push_back("<a>");      // 30
    c.vocab.push_back("<a>b");     // 31
    c.vocab.push_back("b<a>b");    // 32
    c.added_tokens = {"<a>", "<a>b", "b<a>b"};
    const Tokenizer t = build(c);
    EXPECT_EQ(t.encode_pieces("<a>b"), (Ids{31}));
    EXPECT_EQ(t.encode_pieces("<a>x"), (Ids{30, X}));
    EXPECT_EQ(t.encode_pieces("b<a>b<a>"), (Ids{32, 30}));  // leftmost wins over longer later match
    EXPECT_EQ(t.encode_pieces("i<a>b<a>b"), (Ids{I, 31, 31}));
}

TEST(WordPiece, WithoutAddedTokensSpecialsAreText) {
    auto c = config();
    c.added_tokens.clear();
    const Tokenizer t = build(c);
    EXPECT_EQ(t.encode_pieces("x[SEP]y"), (Ids{X, LBR, SEPW, RBR, Y}));
}

TEST(WordPiece, Truncation) {
    const std::string text = "hello world unaffable";
    EXPECT_THROW(tok().encode(text, 1), Error);
    EXPECT_EQ(tok().encode(text, 2), (Ids{CLS, SEP}));
    EXPECT_EQ(tok().encode(text, 3), (Ids{CLS, HELLO, SEP}));
    EXPECT_EQ(tok().encode(text, 4), (Ids{CLS, HELLO, WORLD, SEP}));
    EXPECT_EQ(tok().encode(text, 5), (Ids{CLS, HELLO, WORLD, UN, SEP}));  // cuts inside a word
    EXPECT_EQ(tok().encode(text, 6), (Ids{CLS, HELLO, WORLD, UN, AFF, SEP}));
    const Ids full = {CLS, HELLO, WORLD, UN, AFF, ABLE, SEP};
    for (int n : {0, -1, 7, 8, 512}) EXPECT_EQ(tok().encode(text, n), full) << n;
    EXPECT_EQ(tok().encode("x[SEP]y", 3), (Ids{CLS, X, SEP}));
    EXPECT_EQ(tok().encode("x[SEP]y", 4), (Ids{CLS, X, SEP, SEP}));
    EXPECT_EQ(tok().encode("[SEP]", 2), (Ids{CLS, SEP}));
}

TEST(WordPiece, LongTextsAcrossChunks) {
    std::string text;
    Ids expected;
    for (int i = 0; i < 3000; ++i) {
        text += i % 3 == 0 ? "hello\u00a0" : i % 3 == 1 ? "WORLD  " : "unaffable\t";
        if (i % 3 == 0) expected.push_back(HELLO);
        if (i % 3 == 1) expected.push_back(WORLD);
        if (i % 3 == 2) expected.insert(expected.end(), {UN, AFF, ABLE});
    }
    text += "[SEP]e\u0301";
    expected.insert(expected.end(), {SEP, E});
    EXPECT_EQ(pieces(text), expected);
    for (int n : {2, 3, 100, 256, 512, 4097}) {
        Ids want = {CLS};
        want.insert(want.end(), expected.begin(), expected.begin() + (n - 2));
        want.push_back(SEP);
        EXPECT_EQ(tok().encode(text, n), want) << n;
    }
    EXPECT_EQ(pieces(std::string(20000, 'a')), (Ids{UNK}));  // one word bigger than a chunk
}

TEST(WordPiece, InvalidUtf8Throws) {
    for (int n : {0, 2, 3}) {
        try {
            tok().encode("hello [SEP] \xC3(", n);  // invalid even beyond the truncation point
            FAIL() << "no exception";
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), Status::invalid_utf8);
            EXPECT_STREQ(e.what(), "invalid UTF-8 at byte 12");
        }
    }
    EXPECT_THROW(pieces("\xED\xA0\x80"), Error);
    EXPECT_THROW(pieces("\xF4\x90\x80\x80"), Error);
    EXPECT_THROW(pieces("\xC0\xAF"), Error);
}

TEST(WordPiece, DuplicateTokenLastIdWins) {
    auto c = config();
    c.vocab.push_back("hello");  // 30
    const Tokenizer t = build(c);
    EXPECT_EQ(t.encode_pieces("hello"), (Ids{30}));
}

TEST(WordPiece, Options) {
    auto c = config();
    c.lowercase = false;
    c.strip_accents = false;
    const Tokenizer cased = build(c);
    EXPECT_EQ(cased.encode_pieces("Hello hello café"), (Ids{UNK, HELLO, UNK}));
    c = config();
    c.continuing_subword_prefix = "@@";
    c.vocab[AFF] = "@@aff";
    c.vocab[ABLE] = "@@able";
    const Tokenizer at = build(c);
    EXPECT_EQ(at.encode_pieces("unaffable"), (Ids{UN, AFF, ABLE}));
    EXPECT_EQ(at.encode_pieces("ib"), (Ids{UNK}));  // "##b" is no continuation now
}

TEST(WordPiece, ConcurrentEncodes) {
    const std::string text = "Hello, World! unaffable café 中文 [SEP] aaaa";
    const Ids expected = tok().encode(text, 0);
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) failures[t] += tok().encode(text, 0) != expected;
        });
    }
    for (auto& th : threads) th.join();
    for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace edgembed
