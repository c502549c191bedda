#include "runtime/tokenizer/byte_level_bpe.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/bpe_normalizer.h"
#include "runtime/tokenizer/bpe_pre_tokenizer.h"
#include "runtime/tokenizer/utf8.h"

#ifndef EDGEMBED_SHARED_DATA_DIR
#define EDGEMBED_SHARED_DATA_DIR ""
#endif

namespace edgembed {
namespace {

using Ids = std::vector<int32_t>;
using Words = std::vector<std::string>;

// ---- the byte-to-unicode table -----------------------------------------------------------------------

std::string mapped(std::string_view bytes) {
    std::string out;
    for (const char b : bytes) utf8_append(out, bpe_detail::byte_to_unicode(static_cast<uint8_t>(b)));
    return out;
}

TEST(ByteLevelBpe, ByteToUnicodeIsGpt2sTable) {
    EXPECT_EQ(bpe_detail::byte_to_unicode('!'), U'!');
    EXPECT_EQ(bpe_detail::byte_to_unicode('~'), U'~');
    EXPECT_EQ(bpe_detail::byte_to_unicode(0x00), 0x100);
    EXPECT_EQ(bpe_detail::byte_to_unicode(' '), 0x120);   // Ġ
    EXPECT_EQ(bpe_detail::byte_to_unicode('\n'), 0x10A);  // Ċ
    EXPECT_EQ(bpe_detail::byte_to_unicode(0x7F), 0x121);
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xA0), 0x142);  // ł
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xA1), 0xA1);
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xAC), 0xAC);
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xAD), 0x143);  // Ń
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xAE), 0xAE);
    EXPECT_EQ(bpe_detail::byte_to_unicode(0xFF), 0xFF);
    // A bijection onto 256 distinct characters.
    std::vector<bool> seen(0x200, false);
    for (int b = 0; b < 256; ++b) {
        const char32_t c = bpe_detail::byte_to_unicode(static_cast<uint8_t>(b));
        ASSERT_LT(c, 0x200u);
        EXPECT_FALSE(seen[c]) << b;
        seen[c] = true;
    }
}

// ---- the split patterns (expectations from tokenizers 0.23.3's pre_tokenize_str) ------------------------

Words words(std::string_view text, BpeSplitPattern pattern) {
    Words out;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t end = bpe_word_end(text, pos, pattern);
        EXPECT_GT(end, pos);
        if (end <= pos) break;
        out.emplace_back(text.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

struct SplitCase {
    std::string text;
    Words gpt2, qwen2;
};

const std::vector<SplitCase> kSplitCases = {
    {"a  b", {"a", " ", " b"}, {"a", " ", " b"}},
    {"a \n\n b", {"a", " \n\n", " b"}, {"a", " \n\n", " b"}},
    {"it's they're we've I'm you'll he'd",
     {"it", "'s", " they", "'re", " we", "'ve", " I", "'m", " you", "'ll", " he", "'d"},
     {"it", "'s", " they", "'re", " we", "'ve", " I", "'m", " you", "'ll", " he", "'d"}},
    {"IT'S 'S 'll 'LL", {"IT", "'", "S", " '", "S", " '", "ll", " '", "LL"},
     {"IT", "'S", " '", "S", " '", "ll", " '", "LL"}},
    {"x'\u017f", {"x", "'", "\u017f"}, {"x", "'\u017f"}},  // LONG S folds to s
    {"''s", {"''", "s"}, {"''", "s"}},
    {" 's", {" '", "s"}, {" '", "s"}},
    {"a1b22 333", {"a", "1", "b", "22", " 333"}, {"a", "1", "b", "2", "2", " ", "3", "3", "3"}},
    {"(foo) !!bar?", {"(", "foo", ")", " !!", "bar", "?"}, {"(foo", ")", " !!", "bar", "?"}},
    {"\tfoo", {"\t", "foo"}, {"\tfoo"}},
    {"foo \n", {"foo", " \n"}, {"foo", " \n"}},
    {"   ", {"   "}, {"   "}},
    {"\u3000\u3000x", {"\u3000", "\u3000", "x"}, {"\u3000", "\u3000x"}},
    {"a\u00a0b", {"a", "\u00a0", "b"}, {"a", "\u00a0b"}},
    {"a\r\n\r\nb", {"a", "\r\n\r", "\n", "b"}, {"a", "\r\n\r\n", "b"}},
    {"!!\r\n\n x", {"!!", "\r\n\n", " x"}, {"!!\r\n\n", " x"}},
    {"a \x0b\n\x0c b", {"a", " \x0b\n\x0c", " b"}, {"a", " \x0b\n", "\x0c", " b"}},
    {"a\u2028\u2029b", {"a", "\u2028", "\u2029", "b"}, {"a", "\u2028", "\u2029b"}},
    {"日本語のテキスト", {"日本語のテキスト"}, {"日本語のテキスト"}},
    {"\U0001F44D\U0001F3FD ok", {"\U0001F44D\U0001F3FD", " ok"}, {"\U0001F44D\U0001F3FD", " ok"}},
    {"1\u00bd\u0663x", {"1\u00bd\u0663", "x"}, {"1", "\u00bd", "\u0663", "x"}},
    {"don't", {"don", "'t"}, {"don", "'t"}},
    {"\n", {"\n"}, {"\n"}},
    {" ", {" "}, {" "}},
    {"x ", {"x", " "}, {"x", " "}},
};

TEST(BpePreTokenizer, Gpt2MatchesTokenizers) {
    for (const SplitCase& c : kSplitCases) EXPECT_EQ(words(c.text, BpeSplitPattern::gpt2), c.gpt2) << c.text;
}

TEST(BpePreTokenizer, Qwen2MatchesTokenizers) {
    for (const SplitCase& c : kSplitCases) EXPECT_EQ(words(c.text, BpeSplitPattern::qwen2), c.qwen2) << c.text;
}

TEST(BpePreTokenizer, CharClasses) {
    EXPECT_EQ(bpe_char_class(U'a'), BpeCharClass::letter);
    EXPECT_EQ(bpe_char_class(U'中'), BpeCharClass::letter);
    EXPECT_EQ(bpe_char_class(0x02B0), BpeCharClass::letter);  // Lm
    EXPECT_EQ(bpe_char_class(U'7'), BpeCharClass::number);
    EXPECT_EQ(bpe_char_class(0x2167), BpeCharClass::number);  // Nl: ROMAN NUMERAL EIGHT
    EXPECT_EQ(bpe_char_class(0x00BD), BpeCharClass::number);  // No: ½
    for (char32_t c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F,
                       0x205F, 0x3000}) {
        EXPECT_EQ(bpe_char_class(c), BpeCharClass::space) << std::hex << c;
    }
    for (char32_t c : {0x1C, 0x1F, 0x200B, 0x180E, 0xFEFF, 0x0301, 0x1F600, 0x0000, 0xE000}) {
        EXPECT_EQ(bpe_char_class(c), BpeCharClass::other) << std::hex << c;
    }
    // Unicode 16.0 (Oniguruma) where utf8proc 2.8 has nothing: Garay letters and digits.
    EXPECT_EQ(bpe_char_class(0x10D50), BpeCharClass::letter);
    EXPECT_EQ(bpe_char_class(0x10D40), BpeCharClass::number);
}

TEST(BpePreTokenizer, IllFormedBytesAreOneCharacterEach) {
    EXPECT_EQ(words("a\xff\xfe b", BpeSplitPattern::gpt2), (Words{"a", "\xff\xfe", " b"}));
    EXPECT_EQ(words("\xe4\xb8", BpeSplitPattern::qwen2), (Words{"\xe4\xb8"}));
}

// ---- normalizers (expectations from tokenizers 0.23.3's normalize_str) ---------------------------------

std::string normalized(const char* spec, std::string_view text) {
    std::string out;
    BpeNormalizer(spec).normalize(text, out);
    return out;
}

TEST(BpeNormalizer, NfcLowercaseAndSequences) {
    EXPECT_EQ(normalized("", "E\u0301"), "E\u0301");
    EXPECT_EQ(normalized("nfc", "E\u0301"), "\u00c9");
    EXPECT_EQ(normalized("lowercase", "E\u0301"), "e\u0301");
    EXPECT_EQ(normalized("nfc,lowercase", "E\u0301"), "\u00e9");
    EXPECT_EQ(normalized("lowercase,nfc", "E\u0301"), "\u00e9");
    EXPECT_EQ(normalized("nfc", "A\u0300\u0316"), "\u00c0\u0316");  // reordered, then composed
    EXPECT_EQ(normalized("nfc", "plain ascii"), "plain ascii");
    EXPECT_EQ(normalized("nfc", std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(BpeNormalizer, LowercaseIsRustsFullMapping) {
    EXPECT_EQ(normalized("lowercase", "\u0130STANBUL \u03a3\u0391\u03a3"), "i\u0307stanbul \u03c3\u03b1\u03c3");
    EXPECT_EQ(normalized("lowercase", "\ua7cb\U00010d50"), "\u0264\U00010d70");  // Unicode 16.0 capitals
    EXPECT_EQ(normalized("lowercase", "\u00c9\u0416"), "\u00e9\u0436");
}

TEST(BpeNormalizer, NfcLeavesMarksTokenizersDoesNotKnow) {
    // U+1AC1 (Unicode 14.0, class 230) is an inert starter for tokenizers' NFC: nothing moves across it.
    EXPECT_EQ(normalized("nfc", "e\u0301\u1ac1\u0316"), "\u00e9\u1ac1\u0316");
    EXPECT_EQ(normalized("nfc", "e\u1ac1\u0301"), "e\u1ac1\u0301");
    // U+11935 U+11930 compose to U+11938 in Unicode 13.0, not in tokenizers.
    EXPECT_EQ(normalized("nfc", "\U00011935\U00011930"), "\U00011935\U00011930");
}

TEST(BpeNormalizer, UnknownStepsAreRefused) {
    for (const char* spec : {"nfkc", "nfc,", ",nfc", "NFC", "nfc,,lowercase"}) {
        try {
            BpeNormalizer n(spec);
            ADD_FAILURE() << spec;
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), Status::invalid_config) << spec;
        }
    }
}

// ---- the model on a tiny hand-made vocabulary ----------------------------------------------------------

const std::string kSpace = mapped(" ");    // Ġ
const std::string kNewline = mapped("\n");  // Ċ

// ids are the positions
std::vector<std::string> tiny_vocab() {
    return {"a", "b", "c", "d", kSpace, "ab", "bc", "abc", kSpace + "a", kSpace + "ab",   // 0-9
            "'", "s", "'s", "1", "2", "12", "<unk>", "aa", kNewline, mapped("\xc3"),        // 10-19
            mapped("\xa9"), mapped("\xc3\xa9"), kSpace + kSpace, "x", "ac"};                // 20-24
}
constexpr int32_t A = 0, B = 1, C = 2, D = 3, SP = 4, AB = 5, BC = 6, ABC = 7, SP_A = 8, SP_AB = 9, APOS = 10,
                  S = 11, APOS_S = 12, ONE = 13, TWO = 14, ONE_TWO = 15, UNK = 16, AA = 17, NL = 18, E_ACUTE_1 = 19,
                  E_ACUTE_2 = 20, E_ACUTE = 21, SP_SP = 22, X = 23;

BpeConfig tiny(std::vector<std::string> merges) {
    BpeConfig c;
    c.vocab = tiny_vocab();
    c.merges = std::move(merges);
    return c;
}

Ids encode(const BpeConfig& c, std::string_view text, std::size_t limit = SIZE_MAX) {
    Ids out;
    ByteLevelBpe(c).append(text, limit, out);
    return out;
}

TEST(ByteLevelBpe, MergesApplyByRank) {
    EXPECT_EQ(encode(tiny({"a b", "b c"}), "abc"), (Ids{AB, C}));
    EXPECT_EQ(encode(tiny({"b c", "a b"}), "abc"), (Ids{A, BC}));
    EXPECT_EQ(encode(tiny({"b c", "a b", "a bc"}), "abc"), (Ids{ABC}));
    EXPECT_EQ(encode(tiny({"a b", "ab c"}), "abc"), (Ids{ABC}));
    EXPECT_EQ(encode(tiny({"a b", "ab c"}), "abcabd"), (Ids{ABC, AB, D}));
    EXPECT_EQ(encode(tiny({}), "abc"), (Ids{A, B, C}));
}

TEST(ByteLevelBpe, EqualRanksMergeLeftmostFirst) {
    EXPECT_EQ(encode(tiny({"a a"}), "aaa"), (Ids{AA, A}));
    EXPECT_EQ(encode(tiny({"a a"}), "aaaa"), (Ids{AA, AA}));
    EXPECT_EQ(encode(tiny({"a a"}), "aaaaa"), (Ids{AA, AA, A}));
}

TEST(ByteLevelBpe, ADuplicatedMergeKeepsItsLaterRank) {
    // As tokenizers' HashMap: "a b" at rank 2 loses to "b c" at rank 1.
    EXPECT_EQ(encode(tiny({"a b", "b c", "a b"}), "abc"), (Ids{A, BC}));
}

TEST(ByteLevelBpe, SpacesBelongToTheFollowingWord) {
    const BpeConfig c = tiny({kSpace + " a", kSpace + "a b", "a b"});
    EXPECT_EQ(encode(c, "ab ab"), (Ids{AB, SP_AB}));
    EXPECT_EQ(encode(c, "a  b"), (Ids{A, SP, SP, B}));  // "a", " ", " b": no "Ġ b" merge
    EXPECT_EQ(encode(c, "a\nb"), (Ids{A, NL, B}));
}

TEST(ByteLevelBpe, ContractionsAndDigits) {
    const BpeConfig c = tiny({"' s", "1 2"});
    EXPECT_EQ(encode(c, "a's"), (Ids{A, APOS_S}));
    EXPECT_EQ(encode(c, "a'ss"), (Ids{A, APOS_S, S}));
    EXPECT_EQ(encode(c, "121"), (Ids{ONE_TWO, ONE}));  // one \p{N}+ word
    BpeConfig q = c;
    q.pre_tokenizer = "qwen2";
    EXPECT_EQ(encode(q, "121"), (Ids{ONE, TWO, ONE}));  // one digit per word
}

TEST(ByteLevelBpe, NonAsciiIsMergedFromItsBytes) {
    EXPECT_EQ(encode(tiny({}), "\u00e9"), (Ids{E_ACUTE_1, E_ACUTE_2}));
    EXPECT_EQ(encode(tiny({mapped("\xc3") + " " + mapped("\xa9")}), "\u00e9a"), (Ids{E_ACUTE, A}));
}

TEST(ByteLevelBpe, BytesOutsideTheVocabAreDroppedOrUnk) {
    // 'z', CJK and emoji bytes have no character in the tiny vocab: tokenizers drops them without unk_token.
    EXPECT_EQ(encode(tiny({}), "azb"), (Ids{A, B}));
    EXPECT_EQ(encode(tiny({}), "中"), Ids{});
    BpeConfig c = tiny({"a b"});
    c.unk_token = "<unk>";
    EXPECT_EQ(encode(c, "azb"), (Ids{A, UNK, B}));  // "azb" is one word; the unk blocks "a b"
    EXPECT_EQ(encode(c, "中"), (Ids{UNK, UNK, UNK}));  // one per byte: fuse_unk is false
    EXPECT_EQ(encode(c, "\U0001F600 ab"), (Ids{UNK, UNK, UNK, UNK, SP, AB}));
}

TEST(ByteLevelBpe, EmptyAndWhitespaceTexts) {
    const BpeConfig c = tiny({kSpace + " " + kSpace});
    EXPECT_EQ(encode(c, ""), Ids{});
    EXPECT_EQ(encode(c, " "), (Ids{SP}));
    EXPECT_EQ(encode(c, "   "), (Ids{SP_SP, SP}));
    EXPECT_EQ(encode(c, "  a"), (Ids{SP, SP, A}));  // " ", " a": no "Ġ a" merge here
    EXPECT_EQ(encode(c, "\n\n"), (Ids{NL, NL}));
}

TEST(ByteLevelBpe, AddPrefixSpace) {
    BpeConfig c = tiny({kSpace + " a", kSpace + "a b"});
    c.add_prefix_space = true;
    EXPECT_EQ(encode(c, "ab"), (Ids{SP_AB}));
    EXPECT_EQ(encode(c, " ab"), (Ids{SP_AB}));  // already starts with a space
    EXPECT_EQ(encode(c, "\nab"), (Ids{SP, NL, A, B}));  // " \n" + "ab": only U+0020 counts as a space
    EXPECT_EQ(encode(c, ""), Ids{});
}

TEST(ByteLevelBpe, IgnoreMerges) {
    BpeConfig c = tiny({"a b"});
    EXPECT_EQ(encode(c, "abc"), (Ids{AB, C}));
    c.ignore_merges = true;
    EXPECT_EQ(encode(c, "abc"), (Ids{ABC}));  // the whole word is a token
    EXPECT_EQ(encode(c, "abd"), (Ids{AB, D}));
}

TEST(ByteLevelBpe, NormalizerRunsFirst) {
    BpeConfig c = tiny({mapped("\xc3") + " " + mapped("\xa9")});
    EXPECT_EQ(encode(c, "e\u0301"), (Ids{}));  // 'e' and U+0301's bytes are not in the vocab
    c.normalizer = "nfc";
    EXPECT_EQ(encode(c, "e\u0301"), (Ids{E_ACUTE}));
    c.normalizer = "lowercase";
    EXPECT_EQ(encode(c, "ABC"), (Ids{A, B, C}));
}

TEST(ByteLevelBpe, LimitStopsEarlyWithAPrefix) {
    const BpeConfig c = tiny({"a b", kSpace + " a", kSpace + "a b"});
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "ab c ";
    const Ids full = encode(c, text);
    // "ab" | " c" | " ab" | " c" ... | " ": a merges with b before Ġ can take it, and there is no "Ġ c".
    ASSERT_EQ(full.size(), 1 + 2 + 999 * 4 + 1u);
    for (std::size_t limit : {1u, 2u, 3u, 7u, 100u}) {
        const Ids cut = encode(c, text, limit);
        ASSERT_GE(cut.size(), limit);
        EXPECT_LE(cut.size(), limit + 2);  // stops after the word that reaches the limit
        EXPECT_EQ(cut, Ids(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut.size())));
    }
    Ids out = {7, 7, 7};
    ByteLevelBpe(c).append(text, 2, out);
    EXPECT_EQ(out, (Ids{7, 7, 7}));  // already at the limit
}

TEST(ByteLevelBpe, AppendKeepsWhatOutHolds) {
    const ByteLevelBpe bpe(tiny({"a b"}));
    Ids out = {42};
    bpe.append("ab", SIZE_MAX, out);
    EXPECT_EQ(out, (Ids{42, AB}));
}

TEST(ByteLevelBpe, TokenToIdAndVocabSize) {
    const ByteLevelBpe bpe(tiny({}));
    EXPECT_EQ(bpe.token_to_id("abc"), ABC);
    EXPECT_EQ(bpe.token_to_id(kSpace + "ab"), SP_AB);
    EXPECT_EQ(bpe.token_to_id("zzz"), -1);
    EXPECT_EQ(bpe.vocab_size(), tiny_vocab().size());
    BpeConfig gaps = tiny({});
    gaps.vocab.push_back("");  // an id without a token
    gaps.vocab.push_back("q");
    EXPECT_EQ(ByteLevelBpe(gaps).vocab_size(), tiny_vocab().size() + 2);
    EXPECT_EQ(ByteLevelBpe(gaps).token_to_id(""), -1);
}

void expect_config_error(const BpeConfig& c, const std::string& needle) {
    try {
        ByteLevelBpe bpe(c);
        ADD_FAILURE() << "no exception, expected: " << needle;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_config);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(ByteLevelBpe, BrokenConfigsAreRefused) {
    expect_config_error(BpeConfig{}, "the vocab is empty");
    expect_config_error(tiny({"a z"}), "merge 0 \"a z\": \"z\" is not in the vocab");
    expect_config_error(tiny({"a b", "q b"}), "merge 1 \"q b\": \"q\" is not in the vocab");
    expect_config_error(tiny({"b a"}), "merge 0 \"b a\": \"ba\" is not in the vocab");
    for (const char* m : {"ab", "a  b", " a", "a ", "a b c", ""}) {
        expect_config_error(tiny({m}), "is not two tokens separated by one space");
    }
    BpeConfig twice = tiny({});
    twice.vocab.push_back("ab");
    expect_config_error(twice, "token \"ab\" is listed twice (ids 5 and 25)");
    BpeConfig unk = tiny({});
    unk.unk_token = "[UNK]";
    expect_config_error(unk, "unk_token \"[UNK]\" is not in the vocab");
    BpeConfig pre = tiny({});
    pre.pre_tokenizer = "whitespace";
    expect_config_error(pre, "unknown pre_tokenizer \"whitespace\"");
    BpeConfig norm = tiny({});
    norm.normalizer = "nfkc";
    expect_config_error(norm, "unknown normalizer step \"nfkc\"");
}

TEST(ByteLevelBpe, SharedAcrossThreads) {
    const ByteLevelBpe bpe(tiny({"a b", "ab c", kSpace + " a", kSpace + "a b"}));
    std::string text;
    for (int i = 0; i < 500; ++i) text += "abc ab a\u00e9 ";
    Ids expected;
    bpe.append(text, SIZE_MAX, expected);
    std::vector<Ids> got(4);
    std::vector<std::thread> threads;
    for (auto& g : got) {
        threads.emplace_back([&] {
            for (int r = 0; r < 20; ++r) {
                g.clear();
                bpe.append(text, SIZE_MAX, g);
            }
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& g : got) EXPECT_EQ(g, expected);
}

// ---- the real roberta-base and modernbert-base tokenizers (../shared/data/tokenizers) -------------------

std::string tokenizer_dir(const char* name) { return std::string(EDGEMBED_SHARED_DATA_DIR) + "/tokenizers/" + name; }

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> vocab_of(const nlohmann::json& vocab) {
    std::vector<std::string> tokens(vocab.size());
    for (const auto& [token, id] : vocab.items()) {
        const auto i = id.get<std::size_t>();
        if (i >= tokens.size()) tokens.resize(i + 1);
        tokens[i] = token;
    }
    return tokens;
}

// roberta-base from vocab.json + merges.txt (the "#version" line skipped).
std::optional<BpeConfig> roberta() {
    const auto vocab = read_file(tokenizer_dir("roberta-base") + "/vocab.json");
    const auto merges = read_file(tokenizer_dir("roberta-base") + "/merges.txt");
    if (!vocab || !merges) return std::nullopt;
    BpeConfig c;
    c.vocab = vocab_of(nlohmann::json::parse(*vocab));
    std::istringstream lines(*merges);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.rfind("#version", 0) != 0) c.merges.push_back(line);
    }
    return c;
}

// modernbert-base from tokenizer.json (NFC, merges as "a b" strings or pairs).
std::optional<BpeConfig> modernbert() {
    const auto text = read_file(tokenizer_dir("modernbert-base") + "/tokenizer.json");
    if (!text) return std::nullopt;
    const nlohmann::json doc = nlohmann::json::parse(*text);
    BpeConfig c;
    c.vocab = vocab_of(doc.at("model").at("vocab"));
    for (const auto& m : doc.at("model").at("merges")) {
        c.merges.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
    }
    c.normalizer = "nfc";
    return c;
}

struct Golden {
    const char* text;
    Ids roberta, modernbert;
};

// tokenizers 0.23.3: encode(text, add_special_tokens=False).ids of the tokenizer.json with its added_tokens
// removed (the pieces alone: modernbert-base has added tokens for runs of spaces, which the pipeline's
// added-token splitter matches before the pieces model sees the text).
const std::vector<Golden> kGolden = {
    {"Hello world", {31414, 232}, {12092, 1533}},
    {"Hello world!", {31414, 232, 328}, {12092, 1533, 2}},
    {" leading space", {981, 980}, {4283, 2317}},
    {"it's they're we've I'm you'll he'd",
     {405, 18, 51, 214, 52, 348, 38, 437, 47, 581, 37, 1017},
     {262, 434, 597, 1472, 359, 1849, 309, 1353, 368, 1833, 344, 1871}},
    {"a  b   c\n\nd\t\te   ",
     {102, 1437, 741, 1437, 1437, 740, 50118, 50118, 417, 50117, 50117, 242, 1437, 1437, 1437},
     {66, 209, 270, 245, 260, 187, 187, 69, 186, 186, 70, 341}},
    {"1234567 3.14159 \u00bd \u0663",
     {19644, 1898, 4111, 155, 4, 1570, 27129, 18430, 36963, 2469},
     {42594, 2251, 495, 15, 1047, 17220, 24142, 209, 149, 98}},
    {"na\u00efve caf\u00e9 \u00c5ngstr\u00f6m",
     {2133, 48350, 26059, 952, 5782, 2590, 6031, 3671, 119},
     {2072, 30180, 36241, 17732, 1251, 46816}},
    {"日本語のテキスト",
     {47954, 8210, 44636, 11582, 48537, 17772, 48018, 49312, 49587, 49615},
     {49868, 19119, 241, 3917, 28656, 33548, 38206}},
    {"Москва \U0001F44D\U0001F3FD emoji \u2764\ufe0f",
     {25417, 48, 34251, 36709, 41171, 42907, 26161, 26964, 8384, 6569, 9357, 10809, 21554, 28775, 10470, 12605},
     {35474, 1068, 10453, 22704, 22692, 228, 224, 14931, 226, 123, 802, 80, 8020, 3384, 240, 99, 171, 118, 226}},
    {"", {}, {}},
    {"   ", {1437, 1437, 1437}, {341}},
    {"\u3000x\u00a0y", {48516, 7471, 1178, 50141, 219}, {19409, 89, 575, 90}},
    {"don't'll 'S '", {7254, 75, 581, 128, 104, 128}, {9903, 626, 1833, 686, 52, 686}},
    {"supercalifragilisticexpialidocious",
     {16101, 11762, 1594, 18937, 718, 661, 2463, 44813, 2617, 808, 42148},
     {12185, 1179, 338, 22194, 300, 382, 547, 37755, 451, 301, 49514}},
};

TEST(ByteLevelBpeReal, RobertaBaseMatchesTokenizers) {
    const std::optional<BpeConfig> c = roberta();
    if (!c) GTEST_SKIP() << "no " << tokenizer_dir("roberta-base");
    const ByteLevelBpe bpe(*c);
    EXPECT_EQ(bpe.vocab_size(), 50265u);
    EXPECT_EQ(bpe.token_to_id("<mask>"), 50264);
    for (const Golden& g : kGolden) EXPECT_EQ(encode(*c, g.text), g.roberta) << g.text;
}

TEST(ByteLevelBpeReal, ModernBertBaseMatchesTokenizers) {
    const std::optional<BpeConfig> c = modernbert();
    if (!c) GTEST_SKIP() << "no " << tokenizer_dir("modernbert-base");
    for (const Golden& g : kGolden) EXPECT_EQ(encode(*c, g.text), g.modernbert) << g.text;
    EXPECT_EQ(encode(*c, "cafe\u0301"), encode(*c, "caf\u00e9"));  // NFC
}

TEST(ByteLevelBpeReal, LongTextsAreCutWithoutChangingIds) {
    std::optional<BpeConfig> c = roberta();
    if (!c) GTEST_SKIP() << "no " << tokenizer_dir("roberta-base");
    // Over 16 KB: normalized and split in pieces. NFC of the decomposed text must give the ids of the composed
    // one, whatever the cuts.
    std::string decomposed, composed;
    for (int i = 0; i < 3000; ++i) {
        const std::string n = std::to_string(i);
        decomposed += "cafe\u0301 " + n + "x  nai\u0308ve\n\n" + (i % 7 == 0 ? "\u3000" : "") + "Zu\u0308rich;";
        composed += "caf\u00e9 " + n + "x  na\u00efve\n\n" + (i % 7 == 0 ? "\u3000" : "") + "Z\u00fcrich;";
    }
    const Ids plain = encode(*c, composed);
    BpeConfig nfc = *c;
    nfc.normalizer = "nfc";
    EXPECT_EQ(encode(nfc, decomposed), plain);
    EXPECT_EQ(encode(nfc, composed), plain);
    // Word by word over the whole text gives the same ids.
    const ByteLevelBpe bpe(*c);
    Ids by_word;
    for (std::size_t pos = 0; pos < composed.size();) {
        const std::size_t end = bpe_word_end(composed, pos, BpeSplitPattern::gpt2);
        bpe.append_word(std::string_view(composed).substr(pos, end - pos), by_word);
        pos = end;
    }
    EXPECT_EQ(by_word, plain);
    // A limit gives a prefix.
    const Ids cut = encode(nfc, decomposed, 5000);
    ASSERT_GE(cut.size(), 5000u);
    EXPECT_EQ(cut, Ids(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(cut.size())));
    // add_prefix_space applies once, to the whole text.
    BpeConfig prefixed = nfc;
    prefixed.add_prefix_space = true;
    EXPECT_EQ(encode(prefixed, decomposed), encode(*c, " " + composed));
}

}  // namespace
}  // namespace edgembed
