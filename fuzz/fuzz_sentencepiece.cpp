// SentencePiece on fuzzed models and texts. Input: [settings byte] [model] "#EDGEMBED-TEXT#" [text]...
//   settings bit 0: the model is 0 = ModelProto bytes (SentencePieceModel straight, then the converter's
//                   sentencepiece_from_model_file), 1 = tokenizer.json text (sentencepiece_from_tokenizer_json);
//            bit 1: id_mapping fairseq instead of identity (ModelProto only);
//            bits 2-7: a limit for append() (0: none).
// Seeds: fuzz/corpus/sentencepiece/ (fuzz/make_sentencepiece_seeds.py: a tiny trained model with and
// without nmt_nfkc, its tokenizer.json). Invariants:
//   - a model is refused only with Error(invalid_config) (runtime) or Error(invalid_checkpoint /
//     unsupported_architecture) (converter), never another exception or a crash;
//   - a loaded model gives ids in [0, vocab_size()) for every text; invalid UTF-8 is Error(invalid_utf8);
//   - append with a limit gives at least min(limit, n) ids, a prefix of the unlimited result.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "base/error.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "runtime/tokenizer/utf8.h"
#include "tools/convert/hf_sentencepiece.h"

using namespace edgembed;

namespace {

const std::string_view fixed_texts[] = {
    "Hello world", "  leading and trailing  ", "Caf\u00e9 \uff21\u0301 \uff76\uff9e \u2581\u2581x",
    "\u65e5\u672c\u8a9e \u0645\u0631\u062d\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947", "a\tb\nc\r\nd\u3000e",
    "\U0001F600\U0001F600", "xxx 1000000000"};

void check_model(const SentencePieceModel& model, const std::vector<std::string_view>& texts, std::size_t limit) {
    const std::size_t vocab = model.vocab_size();
    for (std::string_view text : texts) {
        const bool valid = utf8_find_invalid(text) == utf8_npos;
        std::vector<int32_t> full;
        try {
            model.append(text, SIZE_MAX, full);
        } catch (const Error& e) {
            FUZZ_CHECK(!valid && e.status() == Status::invalid_utf8, e.what());
            continue;
        }
        FUZZ_CHECK(valid, "append accepted invalid UTF-8");
        for (int32_t id : full) FUZZ_CHECK(id >= 0 && static_cast<std::size_t>(id) < vocab, "id outside the vocab");
        if (limit > 0) {
            std::vector<int32_t> cut;
            model.append(text, limit, cut);
            FUZZ_CHECK(cut.size() >= std::min(limit, full.size()), "stopped before the limit");
            FUZZ_CHECK(cut.size() <= full.size() && std::equal(cut.begin(), cut.end(), full.begin()),
                       "a limited result is not a prefix of the full one");
        }
    }
}

bool converter_status(Status s) { return s == Status::invalid_checkpoint || s == Status::unsupported_architecture; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t settings = data[0];
    const std::vector<std::string_view> parts =
        fuzz::split(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), "#EDGEMBED-TEXT#");
    std::vector<std::string_view> texts(parts.begin() + 1, parts.end());
    texts.insert(texts.end(), std::begin(fixed_texts), std::end(fixed_texts));
    const std::size_t limit = settings >> 2;
    const std::string model_bytes(parts[0]);

    if ((settings & 1) == 0) {
        SentencePieceConfig config;
        config.model_proto = model_bytes;
        config.id_mapping = (settings & 2) ? "fairseq" : "identity";
        try {
            const SentencePieceModel model(config);
            check_model(model, texts, limit);
        } catch (const Error& e) {
            FUZZ_CHECK(e.status() == Status::invalid_config, e.what());
            fuzz::refused(e);
        } catch (const std::exception& e) {
            FUZZ_CHECK(false, std::string("not an edgembed::Error: ") + e.what());
        }
        try {
            convert::sentencepiece_from_model_file(model_bytes, "spiece.model");
        } catch (const Error& e) {
            FUZZ_CHECK(converter_status(e.status()), e.what());
        } catch (const std::exception& e) {
            FUZZ_CHECK(false, std::string("not an edgembed::Error: ") + e.what());
        }
        return 0;
    }

    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(model_bytes);
    } catch (const nlohmann::json::exception&) {
        return 0;  // not JSON: the converter's caller refuses it before
    }
    try {
        const SentencePieceConfig config = convert::sentencepiece_from_tokenizer_json(doc, "tokenizer.json");
        const SentencePieceModel model(config);  // what the converter returns loads
        check_model(model, texts, limit);
    } catch (const Error& e) {
        FUZZ_CHECK(converter_status(e.status()), e.what());
        fuzz::refused(e);
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, std::string("not an edgembed::Error: ") + e.what());
    }
    return 0;
}
