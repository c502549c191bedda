// SentencePiece-style BPE (runtime/tokenizer/sentencepiece_bpe.h) on a tiny vocabulary: byte fallback,
// unk fusing, merges across "▁", the Split behaviors, long words merged piece by piece against a naive BPE, limits,
// invalid UTF-8, the whole pipeline with Gemma's template, and the config's JSON form. Whole-corpus parity
// with Hugging Face is tests/python/test_tokenizer_parity_bpe.py's ("gemma-trained").
#include "runtime/tokenizer/sentencepiece_bpe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "runtime/model.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/tokenizer_config_json.h"
#include "runtime/tokenizer/utf8.h"
#include "tests/runtime/tiny_model_file.h"

namespace edgembed {
namespace {

using Ids = std::vector<int32_t>;
using Words = std::vector<std::string>;

const std::string M = "\xe2\x96\x81";  // ▁

std::string byte_piece(int b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    return piece;
}

int32_t id_of(const BpeConfig& c, const std::string& token) {
    const auto it = std::find(c.vocab.begin(), c.vocab.end(), token);
    return it == c.vocab.end() ? -1 : static_cast<int32_t>(it - c.vocab.begin());
}

// <pad> <eos> <bos> <unk>, the 256 byte pieces, the characters of `chars`, then the merges that build each
// of `words` left to right (Gemma's layout, as transformers writes it; "_" in words and chars stands for ▁).
BpeConfig gemma_config(const std::string& chars, const std::vector<std::string>& words) {
    auto meta = [](std::string s) {
        for (std::size_t p; (p = s.find('_')) != std::string::npos;) s.replace(p, 1, M);
        return s;
    };
    BpeConfig c;
    c.byte_level = false;
    c.byte_fallback = true;
    c.fuse_unk = true;
    c.unk_token = "<unk>";
    c.normalizer = "space_to_metaspace";
    c.pre_tokenizer = "split";
    c.split_pattern = " ";
    c.split_behavior = "merged_with_previous";
    c.vocab = {"<pad>", "<eos>", "<bos>", "<unk>"};
    for (int b = 0; b < 256; ++b) c.vocab.push_back(byte_piece(b));
    for (const char32_t cp : utf8_decode(meta(chars))) c.vocab.push_back(utf8_encode(std::u32string(1, cp)));
    for (const std::string& w : words) {
        const std::u32string cps = utf8_decode(meta(w));
        std::string left = utf8_encode(cps.substr(0, 1));
        for (std::size_t i = 1; i < cps.size(); ++i) {
            const std::string right = utf8_encode(cps.substr(i, 1));
            if (id_of(c, left + right) < 0) {
                c.vocab.push_back(left + right);
                c.merges.push_back(left + " " + right);
            }
            left += right;
        }
    }
    return c;
}

BpeConfig english() { return gemma_config("_abdehilnorstw.,", {"_the", "the", "hello", "_world", "_a", "a_b"}); }

Ids ids(const BpeConfig& c, std::string_view text, std::size_t limit = SIZE_MAX) {
    SentencePieceBpe bpe(c);
    Ids out;
    bpe.append(text, limit, out);
    return out;
}

Ids tokens(const BpeConfig& c, const std::vector<std::string>& pieces) {
    Ids out;
    for (const std::string& p : pieces) {
        const int32_t id = id_of(c, p);
        EXPECT_GE(id, 0) << p;
        out.push_back(id);
    }
    return out;
}

// The definition of BPE, quadratic: merge the leftmost pair of the lowest rank until none is left.
Ids naive_bpe(const BpeConfig& c, Ids symbols) {
    std::unordered_map<uint64_t, std::pair<std::size_t, int32_t>> merges;  // (left, right) -> (rank, merged)
    for (std::size_t rank = 0; rank < c.merges.size(); ++rank) {
        const std::string& m = c.merges[rank];
        const std::size_t space = m.find(' ');
        const std::string left = m.substr(0, space), right = m.substr(space + 1);
        const uint64_t key = (uint64_t{static_cast<uint32_t>(id_of(c, left))} << 32) | static_cast<uint32_t>(id_of(c, right));
        merges[key] = {rank, id_of(c, left + right)};
    }
    for (;;) {
        std::size_t best = SIZE_MAX, best_rank = SIZE_MAX;
        int32_t merged = -1;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
            const uint64_t key = (uint64_t{static_cast<uint32_t>(symbols[i])} << 32) | static_cast<uint32_t>(symbols[i + 1]);
            const auto it = merges.find(key);
            if (it != merges.end() && it->second.first < best_rank) {
                best = i;
                best_rank = it->second.first;
                merged = it->second.second;
            }
        }
        if (best == SIZE_MAX) return symbols;
        symbols[best] = merged;
        symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
}

TEST(SentencePieceBpe, MergesWordsAndSpaces) {
    const BpeConfig c = english();
    EXPECT_EQ(ids(c, "the world"), tokens(c, {"the", M + "world"}));
    EXPECT_EQ(ids(c, "hello the"), tokens(c, {"hello", M + "the"}));
    EXPECT_EQ(ids(c, " the"), tokens(c, {M + "the"}));
    EXPECT_EQ(ids(c, "  a"), tokens(c, {M, M + "a"}));
}

TEST(SentencePieceBpe, AMergeSpansTheMetaspace) {
    const BpeConfig c = english();
    EXPECT_EQ(ids(c, "a b"), tokens(c, {"a" + M + "b"}));
    EXPECT_EQ(ids(c, "la bat"), tokens(c, {"l", "a" + M + "b", "a", "t"}));
}

TEST(SentencePieceBpe, ByteFallbackForEmojiCjkAndControlCharacters) {
    const BpeConfig c = gemma_config("ab\xe4\xb8\xad", {"ab"});  // 中 is a token, 文 is not
    EXPECT_EQ(ids(c, "\xF0\x9F\x98\x80"), tokens(c, {"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"}));  // 😀
    EXPECT_EQ(ids(c, "\xe4\xb8\xad\xe6\x96\x87"), tokens(c, {"\xe4\xb8\xad", "<0xE6>", "<0x96>", "<0x87>"}));  // 中文
    EXPECT_EQ(ids(c, "a\x01\x7f" "b"), tokens(c, {"a", "<0x01>", "<0x7F>", "b"}));
    EXPECT_EQ(ids(c, "ab\n"), tokens(c, {"ab", "<0x0A>"}));
    EXPECT_EQ(ids(c, "a b"), tokens(c, {"a", "<0xE2>", "<0x96>", "<0x81>", "b"}));  // no ▁ in this vocab
}

TEST(SentencePieceBpe, UnknownCharactersFuseIntoOneUnk) {
    BpeConfig c = gemma_config("ab", {"ab"});
    c.byte_fallback = false;
    EXPECT_EQ(ids(c, "xyzab"), tokens(c, {"<unk>", "ab"}));
    EXPECT_EQ(ids(c, "xaz\xF0\x9F\x98\x80"), tokens(c, {"<unk>", "a", "<unk>"}));
    c.fuse_unk = false;
    EXPECT_EQ(ids(c, "xyzab"), tokens(c, {"<unk>", "<unk>", "<unk>", "ab"}));
    c.unk_token = "";
    EXPECT_EQ(ids(c, "xaby"), tokens(c, {"ab"}));  // no unk_token: dropped, as tokenizers does
}

TEST(SentencePieceBpe, EmptyText) {
    const BpeConfig c = english();
    EXPECT_TRUE(ids(c, "").empty());
    EXPECT_EQ(SentencePieceBpe(c).normalize(""), "");
    BpeConfig llama = english();
    llama.normalizer = "prepend_metaspace,space_to_metaspace";
    llama.pre_tokenizer = "none";
    EXPECT_TRUE(ids(llama, "").empty());  // Prepend leaves an empty text empty
    EXPECT_EQ(ids(llama, "the"), tokens(llama, {M + "the"}));
}

TEST(SentencePieceBpe, IgnoreMergesTakesAWholeToken) {
    BpeConfig c = gemma_config("abc", {"ab", "abc", "bc"});
    c.merges.erase(std::find(c.merges.begin(), c.merges.end(), "ab c"));
    EXPECT_EQ(ids(c, "abc"), tokens(c, {"ab", "c"}));
    c.ignore_merges = true;
    EXPECT_EQ(ids(c, "abc"), tokens(c, {"abc"}));
}

// Expectations from tokenizers 0.23.3: pre_tokenizers.Split("-", behavior, invert).pre_tokenize_str(text).
TEST(SentencePieceBpe, SplitBehaviorsMatchTokenizers) {
    BpeConfig c = gemma_config("-abc", {});
    c.normalizer = "";
    c.split_pattern = "-";
    auto split = [&](const char* behavior, bool invert, const std::string& text) {
        c.split_behavior = behavior;
        c.split_invert = invert;
        return SentencePieceBpe(c).pre_tokens(text);
    };
    const std::string t = "the-final--countdown-";
    EXPECT_EQ(split("removed", false, t), (Words{"the", "final", "countdown"}));
    EXPECT_EQ(split("isolated", false, t), (Words{"the", "-", "final", "-", "-", "countdown", "-"}));
    EXPECT_EQ(split("merged_with_previous", false, t), (Words{"the-", "final-", "-", "countdown-"}));
    EXPECT_EQ(split("merged_with_next", false, t), (Words{"the", "-final", "-", "-countdown", "-"}));
    EXPECT_EQ(split("contiguous", false, t), (Words{"the", "-", "final", "--", "countdown", "-"}));
    EXPECT_EQ(split("removed", true, t), (Words{"-", "-", "-", "-"}));
    EXPECT_EQ(split("merged_with_previous", true, t), (Words{"the", "-final", "-", "-countdown", "-"}));
    EXPECT_EQ(split("merged_with_next", true, t), (Words{"the-", "final-", "-", "countdown-"}));
    EXPECT_EQ(split("contiguous", true, "--a"), (Words{"--", "a"}));
    EXPECT_EQ(split("merged_with_previous", false, "-a"), (Words{"-", "a"}));
    EXPECT_TRUE(split("isolated", false, "").empty());
    c.split_pattern = " ";
    EXPECT_EQ(split("merged_with_previous", false, "How are  you?"), (Words{"How ", "are ", " ", "you?"}));
}

TEST(SentencePieceBpe, LongWordsMergedPieceByPieceEqualTheWholeWord) {
    // Words of letters and ▁ without a pre-tokenizer: one word per text (past 1 KB: the piece cache too), cut only
    // where no merge joins the sides ("a▁" and "▁▁" join across ▁; "b" + "a" never).
    BpeConfig c = gemma_config("_ab", {"a_", "a_b", "__", "___", "ab", "aab", "bb", "bbb"});
    c.pre_tokenizer = "none";
    std::mt19937 rng(20240612);
    for (const std::size_t length : {100u, 6000u}) {
        for (int trial = 0; trial < 3; ++trial) {
            std::string text;
            Ids symbols;
            for (std::size_t i = 0; i < length; ++i) {
                const int r = static_cast<int>(rng() % 10);
                const char ch = r < 5 ? 'a' : r < 8 ? 'b' : ' ';
                text.push_back(ch);
                symbols.push_back(id_of(c, ch == ' ' ? M : std::string(1, ch)));
            }
            const Ids full = ids(c, text);
            ASSERT_EQ(full, naive_bpe(c, symbols)) << "length " << length;
            for (const std::size_t limit : {1u, 7u, 1000u}) {
                const Ids cut = ids(c, text, limit);
                ASSERT_GE(cut.size(), std::min(limit, full.size()));
                EXPECT_TRUE(std::equal(cut.begin(), cut.end(), full.begin())) << "limit " << limit;
            }
        }
    }
    // No exact cut at all (every neighbour pair joins): merged whole, still right.
    const std::string same(6000, 'b');
    EXPECT_EQ(ids(c, same), naive_bpe(c, Ids(same.size(), id_of(c, "b"))));
}

TEST(SentencePieceBpe, LimitStopsEarlyOnALongText) {
    const BpeConfig c = english();
    std::string text;
    while (text.size() < 1000000) text += "hello the world, ";
    const Ids cut = ids(c, text, 512);
    EXPECT_GE(cut.size(), 512u);
    EXPECT_LT(cut.size(), 520u);  // a piece past the limit, not the whole text
}

TEST(SentencePieceBpe, InvalidUtf8IsRefused) {
    const BpeConfig c = english();
    EXPECT_THROW(ids(c, "a\xff" "b"), Error);
    TokenizerConfig t;
    t.type = "bpe";
    t.bpe = c;
    try {
        Tokenizer(t).encode("ab\xc3", 0);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_utf8);
        EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
    }
}

TEST(SentencePieceBpe, GemmaPipelineTemplateAndAddedTokens) {
    TokenizerConfig t;
    t.type = "bpe";
    t.bpe = english();
    const int32_t turn = static_cast<int32_t>(t.bpe.vocab.size());
    t.bpe.vocab.push_back("<start_of_turn>");
    t.added_tokens.push_back(AddedToken{"<start_of_turn>", turn});
    t.prefix = {2};  // <bos>
    t.suffix = {1};  // <eos>
    const Tokenizer tok(t);
    const Ids hello = tokens(t.bpe, {"hello"});
    EXPECT_EQ(tok.encode("<start_of_turn>hello the", 0), (Ids{2, turn, hello[0], id_of(t.bpe, M + "the"), 1}));
    EXPECT_EQ(tok.encode("", 0), (Ids{2, 1}));
    EXPECT_EQ(tok.encode("hello hello hello", 4), (Ids{2, hello[0], id_of(t.bpe, M), 1}));
}

TEST(SentencePieceBpe, BadConfigsAreNamed) {
    auto refused = [](const BpeConfig& c, const std::string& needle) {
        try {
            SentencePieceBpe bpe(c);
            ADD_FAILURE() << "accepted, expected: " << needle;
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), Status::invalid_config);
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    const BpeConfig good = english();
    BpeConfig c = good;
    c.vocab.erase(std::find(c.vocab.begin(), c.vocab.end(), "<0x41>"));
    refused(c, "byte_fallback needs the 256 byte pieces <0x00>..<0xFF>; <0x41> is not in the vocab");
    c = good;
    c.merges.push_back("th");
    refused(c, "is not two tokens separated by one space");
    c = good;
    c.merges.push_back("z e");
    refused(c, "\"z\" is not in the vocab");
    c = good;
    c.normalizer = "nfkc";
    refused(c, "unknown normalizer step \"nfkc\"");
    c = good;
    c.pre_tokenizer = "metaspace";
    refused(c, "unknown pre_tokenizer \"metaspace\"");
    c = good;
    c.split_pattern = "";
    refused(c, "the split pattern is empty");
    c = good;
    c.split_behavior = "merged";
    refused(c, "unknown split behavior \"merged\"");
    c = good;
    c.unk_token = "[UNK]";
    refused(c, "unk_token \"[UNK]\" is not in the vocab");
    c = good;
    c.vocab.push_back("th");
    refused(c, "token \"th\" is listed twice");
    c = good;
    c.byte_level = true;
    refused(c, "the config is byte-level");
}

TEST(SentencePieceBpe, ConfigJsonRoundTripAndOldFiles) {
    TokenizerConfig t;
    t.type = "bpe";
    t.bpe = english();
    t.bpe.split_invert = true;
    nlohmann::json j;
    to_json(j, t);
    const TokenizerConfig back = tokenizer_config_from_json(j, nullptr);
    EXPECT_FALSE(back.bpe.byte_level);
    EXPECT_TRUE(back.bpe.byte_fallback);
    EXPECT_TRUE(back.bpe.fuse_unk);
    EXPECT_EQ(back.bpe.normalizer, "space_to_metaspace");
    EXPECT_EQ(back.bpe.pre_tokenizer, "split");
    EXPECT_EQ(back.bpe.split_pattern, " ");
    EXPECT_EQ(back.bpe.split_behavior, "merged_with_previous");
    EXPECT_TRUE(back.bpe.split_invert);
    EXPECT_EQ(back.bpe.vocab, t.bpe.vocab);
    // A byte-level config is written as before this model existed, and such files read as byte-level.
    TokenizerConfig old;
    old.type = "bpe";
    old.bpe.vocab = {"a"};
    to_json(j, old);
    EXPECT_FALSE(j["bpe"].contains("byte_level"));
    EXPECT_TRUE(tokenizer_config_from_json(j, nullptr).bpe.byte_level);
    EXPECT_NE(dynamic_cast<const SentencePieceBpe*>(make_pieces_model(t).get()), nullptr);
}

TEST(SentencePieceBpe, ModelFileKeepsTheTokenizer) {
    // A tiny BERT-shaped model file whose tokenizer is Gemma-style BPE: written (config.tokenizer.bpe, its vocab
    // diverted by the metadata parser), read back, built at load.
    const BpeConfig bpe = english();
    testing::TinyModelSpec spec;
    spec.vocab = bpe.vocab;
    const std::vector<uint8_t> bytes = testing::tiny_model_file(spec, {}, [&](ModelConfig& c) {
        c.tokenizer = TokenizerConfig{};
        c.tokenizer.type = "bpe";
        c.tokenizer.bpe = bpe;
        c.tokenizer.prefix = {2};
        c.tokenizer.suffix = {1};
        c.tokenizer.pad_id = 0;
    });
    const auto model = Model::load_from_memory(bytes.data(), bytes.size());
    EXPECT_EQ(model->tokenizer().encode("hello the world", 0),
              (Ids{2, id_of(bpe, "hello"), id_of(bpe, M + "the"), id_of(bpe, M + "world"), 1}));
    EXPECT_EQ(model->tokenizer().encode("\xF0\x9F\x98\x80", 0), (Ids{2, id_of(bpe, "<0xF0>"), id_of(bpe, "<0x9F>"),
                                                                   id_of(bpe, "<0x98>"), id_of(bpe, "<0x80>"), 1}));
}

}  // namespace
}  // namespace edgembed
