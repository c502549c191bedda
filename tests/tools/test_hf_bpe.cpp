// The byte-level BPE readers of the converter: every setting they accept, every refusal and its message.
#include "tools/convert/hf_bpe.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "base/error.h"

#ifndef EDGEMBED_SHARED_DATA_DIR
#define EDGEMBED_SHARED_DATA_DIR ""
#endif

namespace edgembed::convert {
namespace {

using nlohmann::json;

const std::string kSpace = "\xc4\xa0";  // Ġ, the byte-level character of ' '

json byte_level(bool add_prefix_space = false, std::optional<bool> use_regex = true) {
    json j = {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true}};
    if (use_regex) j["use_regex"] = *use_regex;
    return j;
}

json split(const std::string& regex) {
    return {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

json sequence(json split_step, json byte_level_step) {
    return {{"type", "Sequence"}, {"pretokenizers", json::array({std::move(split_step), std::move(byte_level_step)})}};
}

// A minimal tokenizer.json as tokenizers 0.23 writes it.
json tokenizer_json() {
    return {{"version", "1.0"},
            {"added_tokens", json::array()},
            {"normalizer", nullptr},
            {"pre_tokenizer", byte_level()},
            {"post_processor", nullptr},
            {"decoder", {{"type", "ByteLevel"}}},
            {"model",
             {{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false},
              {"ignore_merges", false},
              {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {kSpace, 3}, {kSpace + "ab", 4}, {"<unk>", 5}}},
              {"merges", {"a b", kSpace + " ab"}}}}};
}

BpeConfig read(const json& doc) { return bpe_from_tokenizer_json(doc, "tokenizer.json"); }

void expect_refused(const std::function<void()>& f, Status status, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no exception, expected: " << needle;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), status) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

void expect_refused(const json& doc, Status status, const std::string& needle) {
    expect_refused([&] { read(doc); }, status, needle);
}

// Applies f to a copy of the minimal tokenizer.json.
json with(const std::function<void(json&)>& f) {
    json doc = tokenizer_json();
    f(doc);
    return doc;
}

// ---- tokenizer.json: what is accepted ----------------------------------------------------------------

TEST(HfBpe, MinimalTokenizerJson) {
    const BpeConfig c = read(tokenizer_json());
    EXPECT_EQ(c.vocab, (std::vector<std::string>{"a", "b", "ab", kSpace, kSpace + "ab", "<unk>"}));
    EXPECT_EQ(c.merges, (std::vector<std::string>{"a b", kSpace + " ab"}));
    EXPECT_EQ(c.normalizer, "");
    EXPECT_EQ(c.pre_tokenizer, "gpt2");
    EXPECT_FALSE(c.add_prefix_space);
    EXPECT_EQ(c.unk_token, "");
    EXPECT_FALSE(c.ignore_merges);
}

TEST(HfBpe, ModelSettings) {
    EXPECT_EQ(read(with([](json& d) { d["model"]["unk_token"] = "<unk>"; })).unk_token, "<unk>");
    EXPECT_TRUE(read(with([](json& d) { d["model"]["ignore_merges"] = true; })).ignore_merges);
    // Written by tokenizers before 0.9 (roberta-base's tokenizer.json): no model.type, "" for no prefix.
    const BpeConfig old = read(with([](json& d) {
        d["model"].erase("type");
        d["model"]["continuing_subword_prefix"] = "";
        d["model"]["end_of_word_suffix"] = "";
    }));
    EXPECT_EQ(old.merges.size(), 2u);
    // dropout 0 is no dropout in tokenizers.
    EXPECT_EQ(read(with([](json& d) { d["model"]["dropout"] = 0.0; })).merges.size(), 2u);
}

TEST(HfBpe, MergesAsPairs) {
    const BpeConfig c = read(with([](json& d) { d["model"]["merges"] = json::array({json::array({"a", "b"}), json::array({kSpace, "ab"})}); }));
    EXPECT_EQ(c.merges, (std::vector<std::string>{"a b", kSpace + " ab"}));
}

TEST(HfBpe, IdsWithoutTokensStayEmpty) {
    const BpeConfig c = read(with([](json& d) { d["model"]["vocab"]["z"] = 9; }));
    ASSERT_EQ(c.vocab.size(), 10u);
    EXPECT_EQ(c.vocab[9], "z");
    EXPECT_EQ(c.vocab[7], "");
}

TEST(HfBpe, Normalizers) {
    auto normalizer = [](json n) { return read(with([&](json& d) { d["normalizer"] = n; })).normalizer; };
    EXPECT_EQ(normalizer({{"type", "NFC"}}), "nfc");
    EXPECT_EQ(normalizer({{"type", "Lowercase"}}), "lowercase");
    EXPECT_EQ(normalizer({{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "Lowercase"}}}}}),
              "nfc,lowercase");
    EXPECT_EQ(normalizer({{"type", "Sequence"},
                          {"normalizers", {{{"type", "Lowercase"}},
                                           {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}}}}}}}),
              "lowercase,nfc");
    EXPECT_EQ(normalizer({{"type", "Sequence"}, {"normalizers", json::array()}}), "");
}

TEST(HfBpe, PreTokenizers) {
    auto pre = [](json p) { return read(with([&](json& d) { d["pre_tokenizer"] = p; })); };
    EXPECT_TRUE(pre(byte_level(true)).add_prefix_space);
    EXPECT_EQ(pre(byte_level(false, std::nullopt)).pre_tokenizer, "gpt2");  // use_regex defaults to true
    const BpeConfig qwen = pre(sequence(split(kQwen2SplitRegex), byte_level(false, false)));
    EXPECT_EQ(qwen.pre_tokenizer, "qwen2");
    EXPECT_FALSE(qwen.add_prefix_space);
    EXPECT_EQ(pre(sequence(split(kGpt2SplitRegex), byte_level(false, false))).pre_tokenizer, "gpt2");
}

// ---- tokenizer.json: what is refused -------------------------------------------------------------------

TEST(HfBpe, UnsupportedModelSettingsAreNamed) {
    const Status u = Status::unsupported_architecture;
    expect_refused(with([](json& d) { d["model"]["type"] = "WordPiece"; }), u,
                   "tokenizer.json: tokenizer model \"WordPiece\" is not BPE");
    expect_refused(with([](json& d) { d["model"]["dropout"] = 0.1; }), u, "tokenizer.json: model.dropout 0.1");
    expect_refused(with([](json& d) { d["model"]["continuing_subword_prefix"] = "##"; }), u,
                   "tokenizer.json: model.continuing_subword_prefix \"##\" is not supported");
    expect_refused(with([](json& d) { d["model"]["end_of_word_suffix"] = "</w>"; }), u,
                   "tokenizer.json: model.end_of_word_suffix \"</w>\" is not supported");
    expect_refused(with([](json& d) { d["model"]["byte_fallback"] = true; }), u,
                   "tokenizer.json: model.byte_fallback true with a ByteLevel pre-tokenizer is not supported");
    expect_refused(with([](json& d) { d["model"]["fuse_unk"] = true; }), u,
                   "tokenizer.json: model.fuse_unk true with a ByteLevel pre-tokenizer is not supported");
    expect_refused(with([](json& d) { d["model"]["merges"] = json::array({json::array({"a", "b c"})}); }), u,
                   "tokenizer.json: model.merges[0] merges a token that contains a space");
}

TEST(HfBpe, UnsupportedNormalizersAreNamed) {
    const Status u = Status::unsupported_architecture;
    expect_refused(with([](json& d) { d["normalizer"] = {{"type", "NFKC"}}; }), u,
                   "tokenizer.json: normalizer \"NFKC\" is not supported for BPE");
    expect_refused(with([](json& d) {
                       d["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "StripAccents"}}}}};
                   }),
                   u, "normalizer \"StripAccents\" is not supported");
    expect_refused(with([](json& d) { d["normalizer"] = {{"type", "Sequence"}}; }), Status::invalid_config,
                   "normalizer Sequence has no \"normalizers\" array");
    expect_refused(with([](json& d) { d["normalizer"] = {{"kind", "NFC"}}; }), Status::invalid_config,
                   "normalizer has no \"type\"");
}

TEST(HfBpe, UnsupportedPreTokenizersAreNamed) {
    const Status u = Status::unsupported_architecture;
    auto pre = [](json p) { return with([&](json& d) { d["pre_tokenizer"] = p; }); };
    expect_refused(pre({{"type", "Whitespace"}}), u, "tokenizer.json: pre_tokenizer \"Whitespace\" is not supported");
    expect_refused(pre(byte_level(false, false)), u, "ByteLevel with use_regex false and no Split");
    expect_refused(pre({{"type", "ByteLevel"}, {"use_regex", true}}), Status::invalid_config,
                   "pre_tokenizer has no \"add_prefix_space\"");
    expect_refused(pre({{"type", "Sequence"}, {"pretokenizers", {byte_level()}}}), u,
                   "pre_tokenizer Sequence [ByteLevel] is not supported (only [Split, ByteLevel])");
    expect_refused(pre({{"type", "Sequence"}, {"pretokenizers", {{{"type", "Digits"}}, split(kGpt2SplitRegex), byte_level()}}}),
                   u, "pre_tokenizer Sequence [Digits, Split, ByteLevel] is not supported");
    expect_refused(pre(sequence(split("\\s+"), byte_level(false, false))), u,
                   "pre_tokenizer Split regex \"\\s+\" is not supported");
    json string_split = split(kQwen2SplitRegex);
    string_split["pattern"] = {{"String", " "}};
    expect_refused(pre(sequence(string_split, byte_level(false, false))), u,
                   "pre_tokenizer Split with a String pattern is not supported");
    json removed = split(kQwen2SplitRegex);
    removed["behavior"] = "Removed";
    expect_refused(pre(sequence(removed, byte_level(false, false))), u,
                   "pre_tokenizer Split behavior \"Removed\" is not supported (only Isolated)");
    json inverted = split(kQwen2SplitRegex);
    inverted["invert"] = true;
    expect_refused(pre(sequence(inverted, byte_level(false, false))), u, "Split with invert true");
    expect_refused(pre(sequence(split(kQwen2SplitRegex), byte_level(false, true))), u,
                   "ByteLevel after Split with use_regex true");
    expect_refused(pre(sequence(split(kQwen2SplitRegex), byte_level(true, false))), u,
                   "ByteLevel after Split with add_prefix_space true");
}

TEST(HfBpe, BrokenTokenizerJsonIsNamed) {
    const Status c = Status::invalid_config, k = Status::invalid_checkpoint;
    expect_refused(json::array(), c, "tokenizer.json: not a JSON object");
    expect_refused(with([](json& d) { d.erase("model"); }), c, "tokenizer.json: missing key \"model\"");
    expect_refused(with([](json& d) { d["model"].erase("vocab"); }), c, "missing key \"model.vocab\"");
    expect_refused(with([](json& d) { d["model"]["vocab"] = json::array(); }), c, "model.vocab is not a JSON object");
    expect_refused(with([](json& d) { d["model"]["vocab"] = json::object(); }), k, "model.vocab is empty");
    expect_refused(with([](json& d) { d["model"].erase("merges"); }), k, "tokenizer.json: model.merges is missing");
    expect_refused(with([](json& d) { d["model"]["merges"] = json::array(); }), k, "tokenizer.json: model.merges is empty");
    expect_refused(with([](json& d) { d["model"]["vocab"]["z"] = -1; }), k, "the id of \"z\" is not an integer");
    expect_refused(with([](json& d) { d["model"]["vocab"]["z"] = "7"; }), k, "the id of \"z\" is not an integer");
    expect_refused(with([](json& d) { d["model"]["vocab"]["z"] = 1 << 30; }), k, "the id of \"z\" is not an integer");
    expect_refused(with([](json& d) { d["model"]["vocab"]["z"] = 1; }), k, "\"b\" and \"z\" have the same id 1");
    expect_refused(with([](json& d) { d["model"]["merges"] = {"ab"}; }), k,
                   "model.merges[0] \"ab\" is not two tokens separated by one space");
    expect_refused(with([](json& d) { d["model"]["merges"] = {"a b", {"a"}}; }), c,
                   "model.merges[1] is neither \"a b\" nor [\"a\", \"b\"]");
    expect_refused(with([](json& d) { d["model"]["merges"] = {"a b", "b a"}; }), k,
                   "tokenizer.json: bpe: merge 1 \"b a\": \"ba\" is not in the vocab");
    expect_refused(with([](json& d) { d["model"]["unk_token"] = "[UNK]"; }), k,
                   "unk_token \"[UNK]\" is not in the vocab");
    expect_refused(with([](json& d) { d["model"]["dropout"] = "none"; }), c, "model.dropout is not a number");
    expect_refused(with([](json& d) { d["model"]["fuse_unk"] = 1; }), c, "model.fuse_unk is not true or false");
}

// ---- vocab.json + merges.txt ----------------------------------------------------------------------------

const std::string kVocabJson = R"({"a": 0, "b": 1, "ab": 2, ")" + kSpace + R"(": 3, ")" + kSpace + R"(ab": 4})";

BpeConfig read_files(const std::string& vocab, const std::string& merges) {
    return bpe_from_vocab_merges(vocab, merges, "vocab.json", "merges.txt");
}

TEST(HfBpe, VocabAndMerges) {
    const BpeConfig c = read_files(kVocabJson, "#version: 0.2\na b\n" + kSpace + " ab\n");
    EXPECT_EQ(c.vocab.size(), 5u);
    EXPECT_EQ(c.merges, (std::vector<std::string>{"a b", kSpace + " ab"}));
    EXPECT_EQ(c.pre_tokenizer, "gpt2");
    EXPECT_EQ(c.normalizer, "");
    EXPECT_FALSE(c.add_prefix_space);
    // No "#version" line, CRLF line ends, no final newline, empty lines: all read alike.
    EXPECT_EQ(read_files(kVocabJson, "a b\r\n\r\n" + kSpace + " ab").merges, c.merges);
}

TEST(HfBpe, BrokenVocabAndMergesAreNamed) {
    const Status k = Status::invalid_checkpoint;
    expect_refused([] { read_files("{", "a b\n"); }, k, "vocab.json: not valid JSON");
    expect_refused([] { read_files("[1, 2]", "a b\n"); }, k, "vocab.json: not a JSON object of token -> id");
    expect_refused([] { read_files("{}", "a b\n"); }, k, "vocab.json: the vocabulary is empty");
    expect_refused([] { read_files(R"({"a": 0.5})", "a b\n"); }, k, "vocab.json: the vocabulary: the id of \"a\"");
    expect_refused([] { read_files(kVocabJson, ""); }, k, "merges.txt: no merges (the file is empty)");
    expect_refused([] { read_files(kVocabJson, "#version: 0.2\n"); }, k, "merges.txt: no merges");
    expect_refused([] { read_files(kVocabJson, "#version: 0.2\na b\nab\n"); }, k,
                   "merges.txt: line 3 \"ab\" is not two tokens separated by one space");
    expect_refused([] { read_files(kVocabJson, "a b\na  b\n"); }, k, "merges.txt: line 2 \"a  b\"");
    expect_refused([] { read_files(kVocabJson, "a b\nb a\n"); }, k,
                   "merges.txt: bpe: merge 1 \"b a\": \"ba\" is not in the vocab");
}

// ---- the real files (../shared/data/tokenizers) ------------------------------------------------------------

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string data_dir(const char* name) { return std::string(EDGEMBED_SHARED_DATA_DIR) + "/tokenizers/" + name; }

TEST(HfBpe, RealRobertaBaseFilesAgree) {
    const auto tokenizer = read_file(data_dir("roberta-base") + "/tokenizer.json");
    const auto vocab = read_file(data_dir("roberta-base") + "/vocab.json");
    const auto merges = read_file(data_dir("roberta-base") + "/merges.txt");
    if (!tokenizer || !vocab || !merges) GTEST_SKIP() << "no " << data_dir("roberta-base");
    const BpeConfig from_json = read(json::parse(*tokenizer));
    const BpeConfig from_files = read_files(*vocab, *merges);
    EXPECT_EQ(from_json.vocab.size(), 50265u);
    EXPECT_EQ(from_json.merges.size(), 50000u);
    EXPECT_EQ(from_json.vocab, from_files.vocab);
    EXPECT_EQ(from_json.merges, from_files.merges);
    EXPECT_EQ(from_json.normalizer, "");
    EXPECT_EQ(from_json.pre_tokenizer, "gpt2");
    EXPECT_FALSE(from_json.add_prefix_space);
}

TEST(HfBpe, RealModernBertBaseFile) {
    const auto tokenizer = read_file(data_dir("modernbert-base") + "/tokenizer.json");
    if (!tokenizer) GTEST_SKIP() << "no " << data_dir("modernbert-base");
    const BpeConfig c = read(json::parse(*tokenizer));
    EXPECT_EQ(c.vocab.size(), 50280u);  // the added tokens beyond are not the model's
    EXPECT_EQ(c.merges.size(), 50009u);
    EXPECT_EQ(c.normalizer, "nfc");
    EXPECT_EQ(c.pre_tokenizer, "gpt2");
}

// ---- SentencePiece-style BPE (Gemma, Llama 2): a pre-tokenizer without ByteLevel -----------------------------

const std::string kMeta = "\xe2\x96\x81";  // ▁

// What transformers' GemmaTokenizer writes: Replace(" ", "▁"), Split(" ", MergedWithPrevious), byte_fallback.
json gemma_json() {
    json vocab = {{"<pad>", 0}, {"<eos>", 1}, {"<bos>", 2}, {"<unk>", 3}};
    for (int b = 0; b < 256; ++b) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", b);
        vocab[piece] = 4 + b;
    }
    vocab[kMeta] = 260;
    vocab["a"] = 261;
    vocab["b"] = 262;
    vocab[kMeta + "a"] = 263;
    return {{"version", "1.0"},
            {"added_tokens", json::array()},
            {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMeta}}},
            {"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}}},
            {"post_processor", nullptr},
            {"decoder", nullptr},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", true}, {"ignore_merges", false},
              {"vocab", vocab}, {"merges", json::array({json::array({kMeta, "a"})})}}}};
}

json gemma_with(const std::function<void(json&)>& f) {
    json doc = gemma_json();
    f(doc);
    return doc;
}

TEST(HfBpe, GemmaTokenizerJson) {
    const BpeConfig c = read(gemma_json());
    EXPECT_FALSE(c.byte_level);
    EXPECT_TRUE(c.byte_fallback);
    EXPECT_TRUE(c.fuse_unk);
    EXPECT_EQ(c.unk_token, "<unk>");
    EXPECT_EQ(c.normalizer, "space_to_metaspace");
    EXPECT_EQ(c.pre_tokenizer, "split");
    EXPECT_EQ(c.split_pattern, " ");
    EXPECT_EQ(c.split_behavior, "merged_with_previous");
    EXPECT_FALSE(c.split_invert);
    EXPECT_EQ(c.merges, (std::vector<std::string>{kMeta + " a"}));
}

TEST(HfBpe, LlamaStyleTokenizerJson) {
    // transformers' legacy Llama converter: Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer.
    const BpeConfig c = read(gemma_with([](json& d) {
        d["normalizer"] = {{"type", "Sequence"},
                           {"normalizers", {{{"type", "Prepend"}, {"prepend", kMeta}}, d["normalizer"]}}};
        d["pre_tokenizer"] = nullptr;
    }));
    EXPECT_FALSE(c.byte_level);
    EXPECT_EQ(c.normalizer, "prepend_metaspace,space_to_metaspace");
    EXPECT_EQ(c.pre_tokenizer, "none");
    // Every Split behavior, and invert.
    for (const auto& [json_name, name] : {std::pair<const char*, const char*>{"Removed", "removed"}, {"Isolated", "isolated"},
                                          {"MergedWithNext", "merged_with_next"}, {"Contiguous", "contiguous"}}) {
        const char* behavior = json_name;  // a structured binding cannot be captured before C++20 (clang 14)
        const BpeConfig s = read(gemma_with([&](json& d) {
            d["pre_tokenizer"]["behavior"] = behavior;
            d["pre_tokenizer"]["invert"] = true;
        }));
        EXPECT_EQ(s.split_behavior, name);
        EXPECT_TRUE(s.split_invert);
    }
}

TEST(HfBpe, UnsupportedSentencePieceStyleSettingsAreNamed) {
    const Status u = Status::unsupported_architecture, k = Status::invalid_checkpoint;
    expect_refused(gemma_with([](json& d) {
                       d["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "first"}, {"split", false}};
                   }),
                   u, "tokenizer.json: pre_tokenizer \"Metaspace\" is not supported for SentencePiece-style BPE");
    expect_refused(gemma_with([](json& d) { d["pre_tokenizer"]["pattern"] = {{"Regex", " "}}; }), u,
                   "pre_tokenizer Split pattern {\"Regex\":\" \"} is not supported for SentencePiece-style BPE");
    expect_refused(gemma_with([](json& d) { d["pre_tokenizer"]["behavior"] = "Merged"; }), Status::invalid_config,
                   "pre_tokenizer Split behavior \"Merged\" is not one of tokenizers' five");
    expect_refused(gemma_with([](json& d) { d["pre_tokenizer"]["pattern"] = {{"String", ""}}; }), k,
                   "tokenizer.json: bpe: the split pattern is empty");
    expect_refused(gemma_with([](json& d) { d["normalizer"]["content"] = "_"; }), u,
                   "normalizer Replace {\"String\":\" \"} -> \"_\" is not supported for SentencePiece-style BPE");
    expect_refused(gemma_with([](json& d) { d["normalizer"] = {{"type", "Prepend"}, {"prepend", "x"}}; }), u,
                   "normalizer Prepend \"x\" is not supported");
    expect_refused(gemma_with([](json& d) { d["normalizer"] = {{"type", "NFKC"}}; }), u,
                   "normalizer \"NFKC\" is not supported for SentencePiece-style BPE");
    expect_refused(gemma_with([](json& d) {
                       d["normalizer"] = {{"type", "Sequence"}, {"normalizers", {d["normalizer"], d["normalizer"]}}};
                   }),
                   u, "normalizer Replace appears twice");
    expect_refused(gemma_with([](json& d) { d["model"]["vocab"].erase("<0x7F>"); }), k,
                   "tokenizer.json: bpe: byte_fallback needs the 256 byte pieces <0x00>..<0xFF>; <0x7F> is not in the vocab");
    expect_refused(gemma_with([](json& d) { d["model"]["merges"] = json::array({json::array({"a", "b"})}); }), k,
                   "tokenizer.json: bpe: merge 0 \"a b\": \"ab\" is not in the vocab");
    expect_refused(gemma_with([](json& d) { d["model"]["dropout"] = 0.5; }), u, "model.dropout 0.5");
}

}  // namespace
}  // namespace edgembed::convert
