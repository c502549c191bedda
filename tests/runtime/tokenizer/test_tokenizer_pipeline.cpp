// The pipeline around any pieces model (tokenizer.h): added tokens with lstrip / rstrip / single_word /
// normalized, the template with and without a prefix, and truncation that keeps the template, with the
// semantics of Hugging Face `tokenizers` (tests/python checks real tokenizers against it end to end).
#include "runtime/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace edgembed {
namespace {

using Ids = std::vector<int32_t>;

// Lowercasing WordPiece; ids are the positions.
const std::vector<std::string> kVocab = {"<s>", "<pad>", "</s>", "<unk>", "hello", "world", "x", "<mask>", "!", "é"};
constexpr int32_t BOS = 0, PAD = 1, EOS = 2, UNK = 3, HELLO = 4, WORLD = 5, X = 6, MASK = 7, BANG = 8;

TokenizerConfig roberta_like() {
    TokenizerConfig c;
    c.type = "wordpiece";
    c.wordpiece.vocab = kVocab;
    c.wordpiece.unk_token = "<unk>";
    c.added_tokens = {{"<s>", BOS}, {"<pad>", PAD}, {"</s>", EOS}, {"<mask>", MASK, /*lstrip=*/true}};
    c.prefix = {BOS};
    c.suffix = {EOS};
    c.pad_id = PAD;
    return c;
}

TEST(TokenizerPipeline, TemplateAroundPieces) {
    const Tokenizer t(roberta_like());
    EXPECT_EQ(t.encode("Hello world", 0), (Ids{BOS, HELLO, WORLD, EOS}));
    EXPECT_EQ(t.encode("", 0), (Ids{BOS, EOS}));
    EXPECT_EQ(t.template_size(), 2u);
    EXPECT_EQ(t.wrap(Ids{X, X}.data(), 2), (Ids{BOS, X, X, EOS}));
}

TEST(TokenizerPipeline, SuffixOnlyTemplate) {  // T5: x </s>
    TokenizerConfig c = roberta_like();
    c.prefix.clear();
    const Tokenizer t(c);
    EXPECT_EQ(t.encode("hello world x", 3), (Ids{HELLO, WORLD, EOS}));
    EXPECT_EQ(t.encode("hello", 1), (Ids{EOS}));
    EXPECT_THROW(t.encode("hello", 0).at(2), std::out_of_range);  // [hello, </s>]: nothing past it
}

TEST(TokenizerPipeline, TruncationKeepsTheTemplate) {
    const Tokenizer t(roberta_like());
    EXPECT_EQ(t.encode("hello world x", 2), (Ids{BOS, EOS}));
    EXPECT_EQ(t.encode("hello world x", 4), (Ids{BOS, HELLO, WORLD, EOS}));
    try {
        t.encode("hello", 1);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("cannot hold the 2 special tokens"), std::string::npos) << e.what();
    }
}

TEST(TokenizerPipeline, LstripTakesTheSpaceBefore) {
    const Tokenizer t(roberta_like());
    // "<mask>" swallows the spaces before it; the text after keeps its own.
    EXPECT_EQ(t.encode_pieces("hello  <mask> world"), (Ids{HELLO, MASK, WORLD}));
    EXPECT_EQ(t.encode_pieces("hello<mask>world"), (Ids{HELLO, MASK, WORLD}));
    EXPECT_EQ(t.encode_pieces("<s>hello</s>"), (Ids{BOS, HELLO, EOS}));
}

TEST(TokenizerPipeline, RstripAndSingleWord) {
    TokenizerConfig c = roberta_like();
    c.added_tokens = {{"x", X, false, /*rstrip=*/true, /*single_word=*/true}};
    const Tokenizer t(c);
    EXPECT_EQ(t.encode_pieces("hello x  world"), (Ids{HELLO, X, WORLD}));
    EXPECT_EQ(t.encode_pieces("hellox world"), (Ids{UNK, WORLD}));  // inside a word: not matched, "hellox" is one word
    EXPECT_EQ(t.encode_pieces("x!"), (Ids{X, BANG}));
}

TEST(TokenizerPipeline, NormalizedTokensMatchAfterNormalization) {
    TokenizerConfig c = roberta_like();
    c.added_tokens.push_back({"<UNK>", UNK, false, false, false, /*normalized=*/true});  // lowercased: "<unk>"
    const Tokenizer t(c);
    EXPECT_EQ(t.encode_pieces("hello <UNK> <unk> x"), (Ids{HELLO, UNK, UNK, X}));
    TokenizerConfig raw = roberta_like();
    const Tokenizer without(raw);  // "<unk>" is text: < unk >, each unknown
    EXPECT_EQ(without.encode_pieces("<unk>"), (Ids{UNK, UNK, UNK}));
}

TEST(TokenizerPipeline, InvalidUtf8IsNamed) {
    const Tokenizer t(roberta_like());
    try {
        t.encode("ok \xC3", 0);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_utf8);
        EXPECT_STREQ(e.what(), "invalid UTF-8 at byte 3");
    }
}

TEST(TokenizerPipeline, UnknownPiecesModelIsNamed) {
    TokenizerConfig c = roberta_like();
    c.type = "unigram-2";
    try {
        Tokenizer t(c);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_config);
        EXPECT_NE(std::string(e.what()).find("unsupported type 'unigram-2'"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace edgembed
