// SentencePieceModel on the real t5-small spiece.model (EDGEMBED_SHARED_DATA_DIR/tokenizers/t5-small; the
// tests skip without it): Hugging Face's ids for tricky texts (transformers 5.24 / tokenizers 0.23.3,
// AutoTokenizer on a folder holding only that spiece.model, add_special_tokens=False), the fairseq id
// mapping, early stop at a limit, chunking that changes nothing, linear time on long texts, concurrent use,
// refusals. Also the pieces it is made of: the protobuf wire reader / writer, the precompiled charsmap's
// refusals, the serde_json score reading.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/json_score.h"
#include "runtime/tokenizer/precompiled_charsmap.h"
#include "runtime/tokenizer/protobuf_wire.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "runtime/tokenizer/tokenizer_config_json.h"
#include "runtime/tokenizer/pieces_model.h"

#include <nlohmann/json.hpp>

using namespace edgembed;
using namespace std::string_view_literals;

namespace {

std::string t5_model_bytes() {
    const std::filesystem::path path = std::filesystem::path(EDGEMBED_SHARED_DATA_DIR) / "tokenizers/t5-small/spiece.model";
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

class T5 : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const std::string bytes = t5_model_bytes();
        if (bytes.empty()) return;
        SentencePieceConfig config;
        config.model_proto = bytes;
        model_ = new SentencePieceModel(config);
    }
    static void TearDownTestSuite() {
        delete model_;
        model_ = nullptr;
    }
    void SetUp() override {
        if (!model_) GTEST_SKIP() << "t5-small spiece.model not found under " << EDGEMBED_SHARED_DATA_DIR;
    }
    static std::vector<int32_t> ids(std::string_view text, std::size_t limit = SIZE_MAX) {
        std::vector<int32_t> out;
        model_->append(text, limit, out);
        return out;
    }
    static SentencePieceModel* model_;
};
SentencePieceModel* T5::model_ = nullptr;

struct Golden {
    std::string_view text;
    std::vector<int32_t> ids;
};

// Each line: a Hugging Face behaviour the library's own Encode() does not have, or an edge.
const Golden golden[] = {
    {"Hello world"sv, {8774, 296}},
    {"  Hello   world  "sv, {8774, 296}},                                            // no stray "▁" at the ends
    {"a\tb\nc\r\nd\u3000e\u00A0f"sv, {3, 9, 3, 115, 3, 75, 3, 26, 3, 15, 3, 89}},   // WhitespaceSplit
    {"xxx sys_xxx()"sv, {3, 226, 19230, 3, 7, 63, 7, 834, 226, 19230, 9960}},       // f64 ties: "x" "xx"
    {"aic7xxx,"sv, {3, 9, 447, 940, 226, 19230, 6}},
    {"-------------"sv, {3, 18, 14817, 14817, 14817, 14817}},
    {"Caf\u00E9 d\u00E9j\u00E0 vu"sv, {18131, 4315, 9056}},
    {"\uFF76\uFF9E"sv, {3, 2}},                                // a 6-byte cluster: rules per code point
    {"\uFF21\u0301"sv, {71}},                                  // a 5-byte cluster: "Ａ"'s rule, the mark dropped
    {"A\u030A"sv, {3, 2}},
    {"\u2581\u2581a b\u2581"sv, {3, 9, 3, 115}},
    {""sv, {}},
    {" \t\n"sv, {}},
    {"\U0001F600\U0001F600 ok \U0001F600"sv, {3, 2, 3, 1825, 3, 2}},  // a run of <unk> fused
    {"ab\0cd"sv, {703, 2, 75, 26}},                                     // the trie walk stops at NUL
    {"ab\x01""cd"sv, {703, 75, 26}},
    {"Stra\u00DFe \u0130stanbul \uFB01 \u00BD \u2460"sv, {5438, 5202, 15, 3, 2, 5627, 6724, 361, 209, 2, 357, 209}},
    {"\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"sv, {3, 2}},
    {"1000000000000000000"sv, {5580, 2313, 19568, 19568, 19568}},
};

}  // namespace

TEST_F(T5, IdsEqualHuggingFace) {
    for (const Golden& g : golden) EXPECT_EQ(ids(g.text), g.ids) << "text: " << std::string(g.text);
}

TEST_F(T5, NormalizeThenAppendNormalizedIsAppend) {
    // The pipeline's path for added tokens with normalized=true: normalize the stretch, match them, then
    // pre-tokenize and segment what lies between.
    std::string long_text;
    for (const Golden& g : golden) {
        std::vector<int32_t> out;
        model_->append_normalized(model_->normalize(g.text), SIZE_MAX, out);
        EXPECT_EQ(out, g.ids) << "text: " << std::string(g.text);
        (long_text += g.text) += ' ';
    }
    while (long_text.size() < 20000) long_text += long_text;
    std::vector<int32_t> out;
    model_->append_normalized(model_->normalize(long_text), SIZE_MAX, out);
    EXPECT_EQ(out, ids(long_text));
    EXPECT_EQ(model_->normalize("\uFF21\u0301 \uFF76\uFF9E"), "A \u30AB\u3099");
}

TEST_F(T5, MadeByMakePiecesModel) {
    TokenizerConfig config;
    config.type = "sentencepiece";
    config.sentencepiece.model_proto = t5_model_bytes();
    const std::unique_ptr<PiecesModel> pieces = make_pieces_model(config);
    std::vector<int32_t> out;
    pieces->append("Hello world", SIZE_MAX, out);
    EXPECT_EQ(out, (std::vector<int32_t>{8774, 296}));
}

TEST(SentencePieceConfigJson, RoundTripsEverySetting) {
    TokenizerConfig c;
    c.type = "sentencepiece";
    c.sentencepiece.id_mapping = "fairseq";
    c.sentencepiece.strip_right = true;
    c.sentencepiece.space_runs = "\u2581";
    c.sentencepiece.whitespace_split = false;
    c.sentencepiece.prepend_space = false;
    c.sentencepiece.byte_fallback = true;
    c.sentencepiece.json_scores = true;
    nlohmann::json j;
    to_json(j, c);
    const SentencePieceConfig back = tokenizer_config_from_json(j, nullptr).sentencepiece;
    EXPECT_EQ(back.id_mapping, "fairseq");
    EXPECT_TRUE(back.strip_right && back.byte_fallback && back.json_scores);
    EXPECT_FALSE(back.whitespace_split || back.prepend_space);
    EXPECT_EQ(back.space_runs, "\u2581");
    // Written before these settings: the defaults (transformers' T5 / XLM-R pipeline).
    j["sentencepiece"] = {{"id_mapping", "identity"}};
    const SentencePieceConfig old = tokenizer_config_from_json(j, nullptr).sentencepiece;
    EXPECT_TRUE(old.whitespace_split && old.prepend_space);
    EXPECT_FALSE(old.strip_right || old.byte_fallback || old.json_scores);
    EXPECT_TRUE(old.space_runs.empty());
}

TEST_F(T5, VocabularyIsThePieces) {
    EXPECT_EQ(model_->vocab_size(), 32000u);
    EXPECT_EQ(model_->unk_id(), 2);
    EXPECT_EQ(model_->token_to_id("</s>"), 1);
    EXPECT_EQ(model_->token_to_id("\u2581world"), 296);
    EXPECT_EQ(model_->token_to_id("no such piece"), -1);
}

TEST_F(T5, PreTokensAreMetaspaceWords) {
    EXPECT_EQ(model_->pre_tokens("  Hello\t\u2581\u2581world  "), (std::vector<std::string>{"\u2581Hello", "\u2581world"}));
}

TEST_F(T5, FairseqMappingShiftsPiecesAndAddsSpecials) {
    SentencePieceConfig config;
    config.model_proto = t5_model_bytes();
    config.id_mapping = "fairseq";
    const SentencePieceModel fairseq(config);
    EXPECT_EQ(fairseq.vocab_size(), 32000u + 2);
    EXPECT_EQ(fairseq.unk_id(), 3);
    EXPECT_EQ(fairseq.token_to_id("<s>"), 0);
    EXPECT_EQ(fairseq.token_to_id("<pad>"), 1);
    EXPECT_EQ(fairseq.token_to_id("</s>"), 2);
    EXPECT_EQ(fairseq.token_to_id("<unk>"), 3);
    EXPECT_EQ(fairseq.token_to_id("<mask>"), 32001);
    std::vector<int32_t> out;
    fairseq.append("Hello world \U0001F600", SIZE_MAX, out);
    EXPECT_EQ(out, (std::vector<int32_t>{8775, 297, 4, 3}));  // pieces + 1; "▁" 3 -> 4; <unk> -> 3
}

TEST_F(T5, StopsAtTheLimitWithAPrefixOfTheFullResult) {
    std::string text;
    for (int i = 0; i < 3000; ++i) text += "the quick brown fox jumps over the lazy dog ";
    const std::vector<int32_t> full = ids(text);
    for (std::size_t limit : {1u, 7u, 256u, 512u, 5000u}) {
        const std::vector<int32_t> cut = ids(text, limit);
        ASSERT_GE(cut.size(), limit);
        ASSERT_LE(cut.size(), full.size());
        EXPECT_TRUE(std::equal(cut.begin(), cut.end(), full.begin())) << "limit " << limit;
        EXPECT_LT(cut.size(), limit + 64) << "did not stop early";
    }
    std::vector<int32_t> out(10, 0);
    model_->append("more", 5, out);  // already past the limit: nothing added
    EXPECT_EQ(out.size(), 10u);
}

TEST_F(T5, ChunkingChangesNothing) {
    // Whitespace-separated paragraphs are encoded independently by Hugging Face: a long text's ids are the
    // concatenation of its paragraphs' ids, wherever the model cuts its 4 KB chunks.
    const std::string_view paragraphs[] = {"Straße  \u00BD\u2460 xxx\t", "ｶﾞ\u3000日本語 -- Ａ\u0301 ", "e\u0301\u0301 a\r\n",
                                           "\u2581\u2581a b\u2581 ", "1000000000000000000 "};
    std::string text;
    std::vector<int32_t> expected;
    for (int i = 0; i < 5000; ++i) {
        const std::string_view p = paragraphs[i % 5];
        text += p;
        const std::vector<int32_t> part = ids(p);
        expected.insert(expected.end(), part.begin(), part.end());
    }
    ASSERT_GT(text.size(), 10 * 4096u);
    EXPECT_EQ(ids(text), expected);
}

TEST_F(T5, LongTextsTakeLinearTime) {
    // 4 MB of words, and 1 MB without a single cut point: under a second together in a release build
    // (the bound leaves room for sanitizers and qemu).
    std::string words;
    while (words.size() < 4u << 20) words += "the quick brown fox ";
    const std::string one_word(1u << 20, 'a');
    for (const std::string* text : std::vector<const std::string*>{&words, &one_word}) {
        const auto start = std::chrono::steady_clock::now();
        const std::size_t n = ids(*text).size();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_GT(n, 0u);
        EXPECT_LT(seconds, 120.0) << text->size() << " bytes";
    }
}

TEST_F(T5, InvalidUtf8IsRefused) {
    std::vector<int32_t> out;
    try {
        model_->append("ab\xC3(", SIZE_MAX, out);
        FAIL() << "accepted invalid UTF-8";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_utf8);
    }
}

TEST_F(T5, ThreadsShareOneModel) {
    std::string text;
    for (const Golden& g : golden) (text += g.text) += ' ';
    const std::vector<int32_t> expected = ids(text);
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                std::vector<int32_t> out;
                model_->append(text, SIZE_MAX, out);
                ok[t] += out == expected;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok, std::vector<int>(4, 50));
}

TEST(SentencePieceModel, RefusesBadConfigs) {
    auto status_of = [](const SentencePieceConfig& c) {
        try {
            SentencePieceModel m(c);
        } catch (const Error& e) {
            return e.status();
        }
        return Status::ok;
    };
    SentencePieceConfig garbage;
    garbage.model_proto = "\xff\xff\xff garbage";
    EXPECT_EQ(status_of(garbage), Status::invalid_config);
    SentencePieceConfig empty;
    EXPECT_EQ(status_of(empty), Status::invalid_config);
    const std::string t5 = t5_model_bytes();
    if (t5.empty()) return;
    SentencePieceConfig c;
    c.model_proto = t5;
    c.id_mapping = "reversed";
    EXPECT_EQ(status_of(c), Status::invalid_config);
    c.id_mapping = "identity";
    c.space_runs = "_";
    EXPECT_EQ(status_of(c), Status::invalid_config);
    c.space_runs.clear();
    c.model_proto = t5.substr(0, t5.size() / 2);  // cut inside a field
    EXPECT_EQ(status_of(c), Status::invalid_config);
}

TEST(ProtobufWire, WriterOutputReadsBack) {
    protobuf_wire::WireWriter inner;
    inner.bytes_field(1, "\u2581piece");
    inner.float_field(2, -2.5f);
    inner.int32_field(3, -1);
    protobuf_wire::WireWriter outer;
    outer.bytes_field(1, inner.data());
    outer.varint_field(40, 300);
    protobuf_wire::WireReader reader(outer.data());
    protobuf_wire::Field f;
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 1u);
    protobuf_wire::WireReader in(f.bytes);
    ASSERT_TRUE(in.next(f));
    EXPECT_EQ(f.bytes, "\u2581piece");
    ASSERT_TRUE(in.next(f));
    float score;
    const uint32_t bits = static_cast<uint32_t>(f.value);
    std::memcpy(&score, &bits, 4);
    EXPECT_EQ(score, -2.5f);
    ASSERT_TRUE(in.next(f));
    EXPECT_EQ(static_cast<int32_t>(f.value), -1);
    EXPECT_FALSE(in.next(f));
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 40u);
    EXPECT_EQ(f.value, 300u);
    EXPECT_FALSE(reader.next(f));
}

TEST(ProtobufWire, MalformedMessagesThrow) {
    for (std::string_view bad : {"\x0a\x05" "abc"sv, "\x08\xff\xff"sv, "\x00\x01"sv, "\x0b\x01"sv, "\x0d\x01\x02"sv}) {
        protobuf_wire::WireReader reader(bad);
        protobuf_wire::Field f;
        EXPECT_THROW(while (reader.next(f)) {}, std::runtime_error) << "message of " << bad.size() << " bytes";
    }
}

TEST(PrecompiledCharsmap, RefusesMalformedBlobs) {
    auto refused = [](std::string_view blob) {
        try {
            PrecompiledCharsmap m(blob);
        } catch (const Error& e) {
            return e.status() == Status::invalid_config;
        }
        return false;
    };
    EXPECT_TRUE(refused("\x01\x00"sv));                            // shorter than the header
    EXPECT_TRUE(refused("\x08\x00\x00\x00\x01\x02\x03\x04"sv));    // trie past the end
    EXPECT_TRUE(refused("\x03\x00\x00\x00\x01\x02\x03\x04"sv));    // not a multiple of 4
    EXPECT_TRUE(refused("\x00\x00\x00\x00"sv));                    // empty trie
    EXPECT_TRUE(refused("\x04\x00\x00\x00\x00\x00\x00\x00\xff"sv));  // replacements not UTF-8
    EXPECT_FALSE(refused(""sv));                                   // none: the identity
    // A forged trie whose offsets point anywhere: lookups stay in bounds and find nothing.
    const PrecompiledCharsmap forged("\x04\x00\x00\x00\xff\xff\xff\xff" "abc"sv);
    std::string out;
    forged.normalize("hello \u00E9\U0001F600", out);
    EXPECT_EQ(out, "hello \u00E9\U0001F600");
}

TEST(JsonScore, ReadsAsSerdeJsonDoes) {
    // serde_json (no float_roundtrip): 20122928619384766 as f64, / 1e16: one ulp below the nearest double.
    EXPECT_EQ(serde_json_number("-2.0122928619384766"), -2.012292861938477);
    EXPECT_NE(serde_json_number("-2.0122928619384766"), -2.0122928619384766);
    EXPECT_EQ(hf_json_score(-2.0122928619384766f), -2.012292861938477);
    EXPECT_EQ(serde_json_number("-3.9598512649536133"), -3.9598512649536137);
    EXPECT_EQ(serde_json_number("0.0"), 0.0);
    EXPECT_EQ(serde_json_number("-7"), -7.0);
    EXPECT_EQ(serde_json_number("1e-05"), 1e-05);
    EXPECT_EQ(serde_json_number("-1.5e2"), -150.0);
    EXPECT_EQ(hf_json_score(0.0f), 0.0);
}
