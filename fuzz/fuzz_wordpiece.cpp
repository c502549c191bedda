// The WordPiece tokenizer on arbitrary bytes. The first byte picks the tokenizer settings and max_length,
// the rest is the text. Vocabulary: the converted model's (EDGEMBED_FUZZ_MODEL, e.g.
// models/all-MiniLM-L6-v2.f32.edgembed; scripts/ci_fuzz.sh sets it when the file exists), else the
// built-in tiny vocabulary of tests/runtime/tiny_model_file.h. Invariants:
//   - encode throws Error(invalid_utf8) exactly when the text is not valid UTF-8, otherwise returns
//     [CLS] pieces [SEP] with every id inside the vocabulary;
//   - encode_pieces is encode without the specials;
//   - encode(text, L) is the untruncated result cut to L ids with [SEP] last (Hugging Face truncation),
//     whatever the chunking inside the tokenizer; L == 1 throws Error(invalid_argument).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "runtime/model_file/reader.h"
#include "runtime/tokenizer/utf8.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tiny_model_file.h"

using namespace edgembed;

namespace {

struct Tokenizers {
    std::vector<std::unique_ptr<Tokenizer>> all;
    size_t vocab_size = 0;
};

const Tokenizers& tokenizers() {
    static const Tokenizers t = [] {
        TokenizerConfig base;
        if (const char* path = std::getenv("EDGEMBED_FUZZ_MODEL")) {
            base = model_file::ModelFile::open(path, /*verify_checksum=*/false)->config().tokenizer;
        } else {
            base = testing::tiny_config(testing::TinyModelSpec{}).tokenizer;
        }
        Tokenizers out;
        out.vocab_size = base.wordpiece.vocab.size();
        // The model's own settings, then each normalizer step off in turn, then no added tokens.
        for (int variant = 0; variant < 6; ++variant) {
            TokenizerConfig c = base;
            WordPieceConfig& w = c.wordpiece;
            if (variant == 1) w.lowercase = w.strip_accents = false;
            if (variant == 2) w.clean_text = false;
            if (variant == 3) w.handle_chinese_chars = false;
            if (variant == 4) w.max_input_chars_per_word = 3;
            if (variant == 5) c.added_tokens.clear();
            out.all.push_back(std::make_unique<Tokenizer>(c));
        }
        return out;
    }();
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const Tokenizers& t = tokenizers();
    const Tokenizer& tok = *t.all[data[0] % t.all.size()];
    const int32_t cls = tok.prefix().at(0), sep = tok.suffix().at(0);
    const int max_length = (data[0] >> 3) % 24;  // 0 = no truncation, 1 = refused, else a limit
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const bool valid = utf8_find_invalid(text) == utf8_npos;

    std::vector<int32_t> full;
    try {
        full = tok.encode(text, 0);
    } catch (const Error& e) {
        FUZZ_CHECK(!valid && e.status() == Status::invalid_utf8, e.what());
        return 0;
    }
    FUZZ_CHECK(valid, "encode accepted invalid UTF-8");
    FUZZ_CHECK(full.size() >= 2 && full.front() == cls && full.back() == sep, "specials");
    for (int32_t id : full) FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < t.vocab_size, "id outside the vocab");

    const std::vector<int32_t> pieces = tok.encode_pieces(text);
    FUZZ_CHECK(pieces == std::vector<int32_t>(full.begin() + 1, full.end() - 1), "encode_pieces != encode");

    if (max_length == 1) {
        try {
            tok.encode(text, 1);
            FUZZ_CHECK(false, "max_length 1 accepted");
        } catch (const Error& e) {
            FUZZ_CHECK(e.status() == Status::invalid_argument, e.what());
        }
    } else if (max_length > 1) {
        std::vector<int32_t> expected = full;
        if (expected.size() > static_cast<size_t>(max_length)) {
            expected.resize(static_cast<size_t>(max_length));
            expected.back() = sep;
        }
        FUZZ_CHECK(tok.encode(text, max_length) == expected, "truncated encode differs from the full one cut");
    }
    return 0;
}
