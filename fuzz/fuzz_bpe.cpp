// Byte-level BPE (runtime/tokenizer/byte_level_bpe.h) on arbitrary text, and its converter readers
// (tools/convert/hf_bpe.h) on arbitrary files. The first byte picks the mode:
//
//   bit 7 clear: text mode. Bits 0-4 pick the model variant (split pattern, normalizer, add_prefix_space,
//     unk_token with some bytes missing from the vocab, ignore_merges) over a tiny built-in vocabulary (all
//     256 byte characters and merges of a few words); with EDGEMBED_FUZZ_BPE_TOKENIZER (a tokenizer.json,
//     e.g. roberta-base's; scripts/ci_fuzz.sh sets it when the shared data is there) that tokenizer is
//     variant 31. Bits 5-6 pick a limit (none, 1, 5, 32). The rest is the text. Invariants:
//       - the words of bpe_word_end tile the text (each ends after it starts, none past the end);
//       - valid UTF-8: append never throws, every id is in [0, vocab_size()), append with a limit gives a
//         prefix of the full ids at least min(limit, full) long; without a normalizer or prefix space, the
//         full ids are the words' ids one after another (the chunking changes nothing);
//       - ill-formed UTF-8 (outside the interface's contract): append returns or throws
//         Error(invalid_utf8), never crashes.
//     Every text also goes through one of 4 SentencePiece-style BPE variants (sentencepiece_bpe.h: Gemma's
//     and Llama's normalizers and pre-tokenizers, byte fallback or a fused unk or neither, Split behaviors) over a
//     tiny vocabulary: ids in range, a limit gives a prefix, ill-formed UTF-8 only ever Error(invalid_utf8).
//   bit 7 set: reader mode. Bit 0 set: the rest is a tokenizer.json for bpe_from_tokenizer_json; clear: it is
//     vocab.json #EDGEMBED-FILE# merges.txt for bpe_from_vocab_merges. They may only throw Error; a config
//     they accept must build a pieces model whose ids are in range.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "base/error.h"
#include "runtime/tokenizer/byte_level_bpe.h"
#include "runtime/tokenizer/pieces_model.h"
#include "runtime/tokenizer/sentencepiece_bpe.h"
#include "runtime/tokenizer/utf8.h"
#include "tools/convert/hf_bpe.h"

using namespace edgembed;

namespace {

constexpr std::string_view kSeparator = "#EDGEMBED-FILE#";

std::string mapped(std::string_view bytes) {
    std::string out;
    for (const char b : bytes) utf8_append(out, bpe_detail::byte_to_unicode(static_cast<uint8_t>(b)));
    return out;
}

// All 256 byte characters, then merges that build a few words left to right (and "Ġ" + word).
BpeConfig tiny_config() {
    BpeConfig c;
    for (int b = 0; b < 256; ++b) c.vocab.push_back(mapped(std::string(1, static_cast<char>(b))));
    auto has = [&](const std::string& t) {
        for (const std::string& v : c.vocab)
            if (v == t) return true;
        return false;
    };
    for (const char* word : {"the", "he", "in", "ing", "er", "an", "and", "'s", "'re", "aa", "aaa", "\xc3\xa9t\xc3\xa9",
                             "\xe4\xb8\xad\xe6\x96\x87", " the", " a", "  ", "   ", "\n\n", "12", "123"}) {
        const std::string m = mapped(word);
        // Split m into its byte characters (each 1 or 2 UTF-8 bytes: U+0021..U+0143).
        std::vector<std::string> chars;
        for (std::size_t i = 0; i < m.size();) {
            const std::size_t len = (static_cast<unsigned char>(m[i]) < 0x80) ? 1 : 2;
            chars.push_back(m.substr(i, len));
            i += len;
        }
        std::string left = chars[0];
        for (std::size_t i = 1; i < chars.size(); ++i) {
            const std::string merged = left + chars[i];
            if (!has(merged)) {
                c.vocab.push_back(merged);
                c.merges.push_back(left + " " + chars[i]);
            }
            left = merged;
        }
    }
    c.vocab.push_back("<unk>");
    return c;
}

struct Variant {
    std::unique_ptr<ByteLevelBpe> bpe;
    BpeSplitPattern pattern;
    bool plain;  // no normalizer, no prefix space
};

Variant make_variant(const BpeConfig& c) {
    return Variant{std::make_unique<ByteLevelBpe>(c),
                   c.pre_tokenizer == "qwen2" ? BpeSplitPattern::qwen2 : BpeSplitPattern::gpt2,
                   c.normalizer.empty() && !c.add_prefix_space};
}

// 32 variants; the last is the EDGEMBED_FUZZ_BPE_TOKENIZER one when it is set.
const std::vector<Variant>& variants() {
    static const std::vector<Variant> v = [] {
        const char* const normalizers[] = {"", "nfc", "lowercase", "nfc,lowercase"};
        std::vector<Variant> out;
        const BpeConfig base = tiny_config();
        for (int i = 0; i < 32; ++i) {
            BpeConfig c = base;
            c.pre_tokenizer = (i & 1) ? "qwen2" : "gpt2";
            c.normalizer = normalizers[(i >> 1) & 3];
            c.add_prefix_space = (i >> 3) & 1;
            if ((i >> 4) & 1) {
                if (i & 2) {
                    c.ignore_merges = true;
                } else {  // the bytes 0xF0..0xFF become unk
                    for (int b = 0xF0; b < 0x100; ++b) c.vocab[b] = "";
                    c.unk_token = "<unk>";
                }
            }
            out.push_back(make_variant(c));
        }
        if (const char* path = std::getenv("EDGEMBED_FUZZ_BPE_TOKENIZER")) {
            std::ifstream in(path, std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            const BpeConfig c = convert::bpe_from_tokenizer_json(nlohmann::json::parse(text.str()), path);
            out.back() = make_variant(c);
        }
        return out;
    }();
    return v;
}

// The 256 byte pieces, printable ASCII, "▁", and what a few merges make of them.
std::vector<std::unique_ptr<SentencePieceBpe>> sentencepiece_variants() {
    const std::string m = "\xe2\x96\x81";
    BpeConfig c;
    c.byte_level = false;
    for (int b = 0; b < 256; ++b) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", b);
        c.vocab.push_back(piece);
    }
    for (char ch = 0x21; ch < 0x7F; ++ch) c.vocab.emplace_back(1, ch);
    c.vocab.push_back(m);
    c.vocab.push_back("<unk>");
    c.vocab.push_back("\xe4\xb8\xad");  // 中
    const std::vector<std::pair<std::string, std::string>> merges = {
        {m, "t"}, {m + "t", "h"}, {m + "th", "e"}, {"t", "h"}, {"th", "e"}, {"a", m}, {"a" + m, "b"}, {m, m},
        {m + m, m}, {"e", "r"}, {"i", "n"}, {"in", "g"}, {"a", "a"}, {"aa", "a"}, {"\xe4\xb8\xad", "\xe4\xb8\xad"}};
    for (const auto& [left, right] : merges) {
        c.vocab.push_back(left + right);
        c.merges.push_back(left + " " + right);
    }
    std::vector<std::unique_ptr<SentencePieceBpe>> out;
    BpeConfig gemma = c;  // Replace(" ", "▁"), Split(" ", merged_with_previous), byte fallback
    gemma.normalizer = "space_to_metaspace";
    gemma.pre_tokenizer = "split";
    gemma.split_pattern = " ";
    gemma.split_behavior = "merged_with_previous";
    gemma.byte_fallback = gemma.fuse_unk = true;
    gemma.unk_token = "<unk>";
    out.push_back(std::make_unique<SentencePieceBpe>(gemma));
    BpeConfig llama = c;  // Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer
    llama.normalizer = "prepend_metaspace,space_to_metaspace";
    llama.pre_tokenizer = "none";
    llama.byte_fallback = true;
    out.push_back(std::make_unique<SentencePieceBpe>(llama));
    BpeConfig fused = gemma;  // unknown characters as one <unk>; Split on "▁", isolated, inverted
    fused.byte_fallback = false;
    fused.split_pattern = m;
    fused.split_behavior = "isolated";
    fused.split_invert = true;
    out.push_back(std::make_unique<SentencePieceBpe>(fused));
    BpeConfig bare = c;  // no normalizer, unknown characters dropped, Split on "e" contiguous, ignore_merges
    bare.pre_tokenizer = "split";
    bare.split_pattern = "e";
    bare.split_behavior = "contiguous";
    bare.ignore_merges = true;
    out.push_back(std::make_unique<SentencePieceBpe>(bare));
    return out;
}

const SentencePieceBpe& sentencepiece_model(uint8_t selector) {
    static const std::vector<std::unique_ptr<SentencePieceBpe>> models = sentencepiece_variants();
    return *models[selector & 3];
}

void check_ids(const PiecesModel& bpe, const std::vector<int32_t>& ids) {
    for (const int32_t id : ids) FUZZ_CHECK(id >= 0 && static_cast<std::size_t>(id) < bpe.vocab_size(), "id outside the vocab");
}

// Valid UTF-8 only (the caller checked).
void sentencepiece_text(uint8_t selector, std::string_view text, std::size_t limit) {
    const SentencePieceBpe& bpe = sentencepiece_model(selector);
    std::vector<int32_t> full, cut;
    bpe.append(text, SIZE_MAX, full);
    check_ids(bpe, full);
    bpe.append(text, limit, cut);
    FUZZ_CHECK(cut.size() >= std::min(limit, full.size()) && cut.size() <= full.size() &&
                   std::equal(cut.begin(), cut.end(), full.begin()),
               "SentencePiece-style: a limit does not give a prefix");
}

void text_mode(uint8_t selector, std::string_view text) {
    for (const BpeSplitPattern p : {BpeSplitPattern::gpt2, BpeSplitPattern::qwen2}) {
        for (std::size_t pos = 0; pos < text.size();) {
            const std::size_t end = bpe_word_end(text, pos, p);
            FUZZ_CHECK(end > pos && end <= text.size(), "the words do not tile the text");
            pos = end;
        }
    }
    const Variant& variant = variants()[selector & 0x1F];
    const ByteLevelBpe& bpe = *variant.bpe;
    static constexpr std::size_t limits[] = {SIZE_MAX, 1, 5, 32};
    const std::size_t limit = limits[(selector >> 5) & 3];

    if (utf8_find_invalid(text) != utf8_npos) {
        const PiecesModel* models[] = {&bpe, &sentencepiece_model(selector)};
        for (const PiecesModel* model : models) {
            try {
                std::vector<int32_t> ids;
                model->append(text, limit, ids);
                check_ids(*model, ids);
            } catch (const Error& e) {
                FUZZ_CHECK(e.status() == Status::invalid_utf8, e.what());
            }
        }
        return;
    }
    std::vector<int32_t> full;
    bpe.append(text, SIZE_MAX, full);
    check_ids(bpe, full);
    if (limit != SIZE_MAX) {
        std::vector<int32_t> cut;
        bpe.append(text, limit, cut);
        FUZZ_CHECK(cut.size() >= std::min(limit, full.size()) && cut.size() <= full.size() &&
                       std::equal(cut.begin(), cut.end(), full.begin()),
                   "a limit does not give a prefix");
    }
    sentencepiece_text(selector, text, limit);
    if (variant.plain) {
        std::vector<int32_t> by_word;
        for (std::size_t pos = 0; pos < text.size();) {
            const std::size_t end = bpe_word_end(text, pos, variant.pattern);
            bpe.append_word(text.substr(pos, end - pos), by_word);
            pos = end;
        }
        FUZZ_CHECK(by_word == full, "append differs from its words one after another");
    }
}

void check_accepted(const BpeConfig& config) {
    TokenizerConfig t;
    t.type = "bpe";
    t.bpe = config;
    const std::unique_ptr<PiecesModel> bpe = make_pieces_model(t);
    std::vector<int32_t> ids;
    bpe->append("Hello, world! caf\xc3\xa9 \xe4\xb8\xad 12 's\n\n", SIZE_MAX, ids);
    check_ids(*bpe, ids);
}

void reader_mode(uint8_t selector, std::string_view input) {
    try {
        if (selector & 1) {
            nlohmann::json doc;
            try {
                doc = nlohmann::json::parse(input);
            } catch (const nlohmann::json::exception&) {
                return;
            }
            check_accepted(convert::bpe_from_tokenizer_json(doc, "tokenizer.json"));
        } else {
            const std::vector<std::string_view> parts = fuzz::split(input, kSeparator);
            const std::string vocab(parts[0]);
            const std::string merges(parts.size() > 1 ? parts[1] : std::string_view());
            check_accepted(convert::bpe_from_vocab_merges(vocab, merges, "vocab.json", "merges.txt"));
        }
    } catch (const Error& e) {
        fuzz::refused(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 0x80) {
        reader_mode(data[0], rest);
    } else {
        text_mode(data[0], rest);
    }
    return 0;
}
