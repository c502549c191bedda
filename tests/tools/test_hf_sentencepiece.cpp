// The converter's SentencePiece readers (tools/convert/hf_sentencepiece.h): the real t5-small files
// (EDGEMBED_SHARED_DATA_DIR; skipped without them), tiny tokenizer.json documents made here, and every
// refusal with its status and a message naming the file and the component.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/tokenizer/protobuf_wire.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "tools/convert/hf_sentencepiece.h"

using namespace edgembed;
using nlohmann::json;

namespace {

std::string shared_file(const char* name) {
    std::ifstream in(std::filesystem::path(EDGEMBED_SHARED_DATA_DIR) / "tokenizers/t5-small" / name, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<int32_t> encode(const SentencePieceConfig& config, std::string_view text) {
    const SentencePieceModel model(config);
    std::vector<int32_t> out;
    model.append(text, SIZE_MAX, out);
    return out;
}

// A small Unigram tokenizer.json in transformers 5's layout.
json tiny_tokenizer_json() {
    return json::parse(R"({
      "added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
      "normalizer": null,
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
          {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true}]},
      "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
                "vocab": [["<unk>", 0.0], ["\u2581a", -1.0], ["a", -2.0], ["\u2581", -3.0], ["b", -2.5]]}
    })");
}

// The same vocab in XLMRobertaConverter's layout.
json tiny_xlmr_json() {
    json doc = tiny_tokenizer_json();
    doc["model"]["unk_id"] = 3;
    doc["model"]["vocab"] = json::parse(R"([["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0],
        ["\u2581a", -1.0], ["a", -2.0], ["\u2581", -3.0], ["b", -2.5], ["<mask>", 0.0]])");
    return doc;
}

// Runs f, expects Error(status) whose message holds every one of `words`.
void expect_refused(const std::function<void()>& f, Status status, const std::vector<std::string>& words) {
    try {
        f();
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), status) << e.what();
        for (const std::string& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
}

void expect_json_refused(const json& doc, Status status, const std::vector<std::string>& words) {
    expect_refused([&] { convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json"); }, status, words);
}

}  // namespace

TEST(HfSentencePiece, T5ModelFile) {
    const std::string bytes = shared_file("spiece.model");
    if (bytes.empty()) GTEST_SKIP() << "t5-small spiece.model not found";
    const SentencePieceConfig config = convert::sentencepiece_from_model_file(bytes, "spiece.model");
    EXPECT_EQ(config.id_mapping, "identity");
    EXPECT_FALSE(config.json_scores);
    EXPECT_TRUE(config.whitespace_split && config.prepend_space && !config.byte_fallback);
    EXPECT_EQ(encode(config, "Hello world"), (std::vector<int32_t>{8774, 296}));
}

TEST(HfSentencePiece, T5TokenizerJson) {
    const std::string text = shared_file("tokenizer.json");
    if (text.empty()) GTEST_SKIP() << "t5-small tokenizer.json not found";
    const json doc = json::parse(text);
    EXPECT_FALSE(convert::tokenizer_json_has_xlmr_layout(doc));
    const SentencePieceConfig config = convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json");
    EXPECT_EQ(config.id_mapping, "identity");
    EXPECT_TRUE(config.json_scores && config.whitespace_split && config.prepend_space);
    EXPECT_EQ(SentencePieceModel(config).vocab_size(), 32100u);  // 32,000 pieces + 100 extra ids
    EXPECT_EQ(SentencePieceModel(config).token_to_id("<extra_id_0>"), 32099);
    EXPECT_EQ(encode(config, "Hello world"), (std::vector<int32_t>{8774, 296}));
    // Hugging Face's own tokenizer.json scores break this tie the other way than the .model's floats.
    EXPECT_EQ(encode(config, "-------------"), (std::vector<int32_t>{3, 14817, 14817, 18, 14817, 14817}));
    EXPECT_EQ(encode(convert::sentencepiece_from_model_file(shared_file("spiece.model"), "spiece.model"), "-------------"),
              (std::vector<int32_t>{3, 18, 14817, 14817, 14817, 14817}));
}

TEST(HfSentencePiece, TinyTokenizerJsonKeepsItsOrder) {
    const SentencePieceConfig config = convert::sentencepiece_from_tokenizer_json(tiny_tokenizer_json(), "tokenizer.json");
    EXPECT_EQ(config.id_mapping, "identity");
    EXPECT_EQ(encode(config, "a  b ab c"), (std::vector<int32_t>{1, 3, 4, 1, 4, 3, 0}));
}

TEST(HfSentencePiece, XlmrLayoutBecomesSentencePieceOrderWithFairseqIds) {
    const json doc = tiny_xlmr_json();
    EXPECT_TRUE(convert::tokenizer_json_has_xlmr_layout(doc));
    const SentencePieceConfig config = convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json");
    EXPECT_EQ(config.id_mapping, "fairseq");
    const sentencepiece_proto::ModelSummary proto = sentencepiece_proto::read_model(config.model_proto);
    ASSERT_EQ(proto.pieces.size(), 7u);  // <unk> <s> </s> and the 4 pieces: no <pad>, no <mask>
    EXPECT_EQ(proto.pieces[0].text, "<unk>");
    EXPECT_EQ(proto.pieces[3].text, "\u2581a");
    // The tokenizer.json ids: ▁a=4, a=5, ▁=6, b=7, <unk>=3, <mask>=8.
    EXPECT_EQ(encode(config, "a  b ab c"), (std::vector<int32_t>{4, 6, 7, 4, 7, 6, 3}));
    EXPECT_EQ(SentencePieceModel(config).token_to_id("<mask>"), 8);
    json not_quite = doc;
    not_quite["model"]["vocab"][1][1] = -1.0;  // <pad> with a score: keep the file's order
    EXPECT_FALSE(convert::tokenizer_json_has_xlmr_layout(not_quite));
}

TEST(HfSentencePiece, OtherAcceptedLayouts) {
    json doc = tiny_tokenizer_json();
    doc["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": true})");
    doc["normalizer"] = json::parse(R"({"type": "Sequence", "normalizers": [
        {"type": "Strip", "strip_left": false, "strip_right": true},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]})");
    SentencePieceConfig config = convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json");
    EXPECT_FALSE(config.whitespace_split);
    EXPECT_TRUE(config.strip_right);
    EXPECT_EQ(config.space_runs, "\u2581");
    // "a  b ab " -> strip -> "a  b ab" -> "a▁b ab" -> "▁a▁b▁ab" -> ▁a ▁b ▁ab
    EXPECT_EQ(encode(config, "a  b ab "), (std::vector<int32_t>{1, 3, 4, 1, 4}));
    doc["pre_tokenizer"]["add_prefix_space"] = false;
    doc["normalizer"] = nullptr;
    config = convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json");
    EXPECT_FALSE(config.prepend_space);
    EXPECT_EQ(encode(config, "ab a"), (std::vector<int32_t>{2, 4, 1}));
}

TEST(HfSentencePiece, ModelFileRefusals) {
    expect_refused([] { convert::sentencepiece_from_model_file("not a model at all \xff\xff", "spiece.model"); },
                   Status::invalid_checkpoint, {"spiece.model"});
    expect_refused([] { convert::sentencepiece_from_model_file("", "spiece.model"); }, Status::invalid_checkpoint,
                   {"spiece.model", "no pieces"});
    const std::string t5 = shared_file("spiece.model");
    if (t5.empty()) return;
    expect_refused([&] { convert::sentencepiece_from_model_file(t5.substr(0, t5.size() / 2), "spiece.model"); },
                   Status::invalid_checkpoint, {"spiece.model"});
    // proto2 merges a second trainer_spec into the first: model_type BPE.
    protobuf_wire::WireWriter trainer, extra;
    trainer.int32_field(sentencepiece_proto::trainer_field::model_type, sentencepiece_proto::ModelType::bpe);
    extra.bytes_field(sentencepiece_proto::model_field::trainer_spec, trainer.data());
    expect_refused([&] { convert::sentencepiece_from_model_file(t5 + extra.data(), "spiece.model"); },
                   Status::unsupported_architecture, {"spiece.model", "BPE"});
    // A piece that is not valid UTF-8.
    protobuf_wire::WireWriter piece, bad;
    piece.bytes_field(sentencepiece_proto::piece_field::piece, "\xC3(");
    bad.bytes_field(sentencepiece_proto::model_field::pieces, piece.data());
    expect_refused([&] { convert::sentencepiece_from_model_file(t5 + bad.data(), "spiece.model"); },
                   Status::invalid_checkpoint, {"spiece.model", "UTF-8"});
    // A duplicate piece: the library refuses it.
    protobuf_wire::WireWriter dup_piece, dup;
    dup_piece.bytes_field(sentencepiece_proto::piece_field::piece, "\xE2\x96\x81" "the");
    dup.bytes_field(sentencepiece_proto::model_field::pieces, dup_piece.data());
    expect_refused([&] { convert::sentencepiece_from_model_file(t5 + dup.data(), "spiece.model"); },
                   Status::invalid_checkpoint, {"spiece.model", "already defined"});
}

TEST(HfSentencePiece, TokenizerJsonRefusals) {
    const Status unsupported = Status::unsupported_architecture;
    const Status invalid = Status::invalid_checkpoint;
    json doc = tiny_tokenizer_json();
    doc["model"] = json::parse(R"({"type": "BPE", "vocab": {}, "merges": []})");
    expect_json_refused(doc, unsupported, {"tokenizer.json", "model BPE"});

    doc = tiny_tokenizer_json();
    doc["normalizer"] = json::parse(R"({"type": "NFKC"})");
    expect_json_refused(doc, unsupported, {"tokenizer.json", "normalizer NFKC"});
    doc["normalizer"] = json::parse(R"({"type": "Sequence", "normalizers": [{"type": "Precompiled",
        "precompiled_charsmap": null}, {"type": "Lowercase"}]})");
    expect_json_refused(doc, unsupported, {"normalizer Lowercase"});
    doc["normalizer"] = json::parse(R"({"type": "Sequence", "normalizers": [{"type": "Replace",
        "pattern": {"Regex": " {2,}"}, "content": " "}, {"type": "Precompiled", "precompiled_charsmap": null}]})");
    expect_json_refused(doc, unsupported, {"normalizer Precompiled"});  // out of order
    doc["normalizer"] = json::parse(R"({"type": "Replace", "pattern": {"String": "a"}, "content": "b"})");
    expect_json_refused(doc, unsupported, {"normalizer Replace"});
    doc["normalizer"] = json::parse(R"({"type": "Precompiled", "precompiled_charsmap": "not base64!"})");
    expect_json_refused(doc, invalid, {"tokenizer.json", "base64"});
    doc["normalizer"] = json::parse(R"({"type": "Precompiled", "precompiled_charsmap": "AQID"})");
    expect_json_refused(doc, invalid, {"tokenizer.json", "precompiled_charsmap"});

    doc = tiny_tokenizer_json();
    doc["pre_tokenizer"] = json::parse(R"({"type": "ByteLevel"})");
    expect_json_refused(doc, unsupported, {"tokenizer.json", "pre_tokenizer ByteLevel"});
    doc["pre_tokenizer"] = nullptr;
    expect_json_refused(doc, unsupported, {"pre_tokenizer"});
    doc["pre_tokenizer"] = json::parse(R"({"type": "Sequence", "pretokenizers": [{"type": "Punctuation"},
        {"type": "Metaspace", "replacement": "\u2581"}]})");
    expect_json_refused(doc, unsupported, {"Sequence[Punctuation, Metaspace]"});
    doc["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"})");
    expect_json_refused(doc, unsupported, {"prepend_scheme \"first\""});
    doc["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "replacement": "\u2581", "split": false})");
    expect_json_refused(doc, unsupported, {"split=false"});
    doc["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "replacement": "_"})");
    expect_json_refused(doc, unsupported, {"replacement"});

    doc = tiny_tokenizer_json();
    doc["model"].erase("unk_id");
    expect_json_refused(doc, unsupported, {"unk_id"});
    doc = tiny_tokenizer_json();
    doc["model"]["unk_id"] = 99;
    expect_json_refused(doc, invalid, {"unk_id"});
    doc = tiny_tokenizer_json();
    doc["model"]["vocab"][2] = "a";
    expect_json_refused(doc, invalid, {"model.vocab[2]"});
    doc = tiny_tokenizer_json();
    doc["model"]["vocab"][2][1] = -2.0000000001;
    expect_json_refused(doc, unsupported, {"model.vocab[2]", "float32"});
    doc = tiny_tokenizer_json();
    doc["model"]["vocab"][4][0] = "a";  // duplicate piece
    expect_json_refused(doc, invalid, {"tokenizer.json", "already defined"});
    doc = tiny_tokenizer_json();
    doc["model"]["vocab"] = json::array();
    expect_json_refused(doc, invalid, {"model.vocab"});
    expect_json_refused(json::array(), invalid, {"tokenizer.json"});
}
