#include "runtime/tokenizer/sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include <exception>

#include "base/error.h"
#include "runtime/tokenizer/json_score.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

constexpr std::string_view metaspace = "\xE2\x96\x81";  // U+2581 "▁", Metaspace's replacement

// Rust's char::is_whitespace (the White_Space property), which WhitespaceSplit and Strip use.
bool is_whitespace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

inline bool is_ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Chunks of about this many bytes (see is_cut_point).
constexpr std::size_t chunk_bytes = 4096;

}  // namespace

Unigram SentencePieceModel::load_vocab(const SentencePieceConfig& config,
                                       const sentencepiece_proto::ModelSummary& summary) {
    if (summary.model_type != sentencepiece_proto::ModelType::unigram) {
        throw Error(Status::invalid_config, "sentencepiece: model type " + std::to_string(summary.model_type) +
                                                " is not supported (Unigram only)");
    }
    sentencepiece::SentencePieceProcessor processor;
    try {
        const auto status = processor.LoadFromSerializedProto(summary.for_library);
        if (!status.ok()) throw Error(Status::invalid_config, "sentencepiece: " + status.ToString());
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(Status::invalid_config, std::string("sentencepiece: ") + e.what());
    } catch (...) {
        throw Error(Status::invalid_config, "sentencepiece: the library failed to load the model");
    }
    const int count = processor.GetPieceSize();
    // Hugging Face reads the scores from the .model as floats, from tokenizer.json through serde_json.
    auto score = [&](int id) -> double {
        const float f = processor.GetScore(id);
        return config.json_scores ? hf_json_score(f) : f;
    };
    std::vector<Unigram::Entry> vocab;
    int32_t unk_id = processor.unk_id();
    if (config.id_mapping == "identity") {
        vocab.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) vocab.push_back({processor.IdToPiece(i), score(i)});
    } else if (config.id_mapping == "fairseq") {
        // transformers' XLMRobertaConverter.vocab(): the fairseq specials, the pieces from id 3 on, <mask>.
        if (count < 3 || unk_id >= 3) {
            throw Error(Status::invalid_config, "sentencepiece: id_mapping fairseq needs <unk> among the first 3 of "
                                                "at least 3 pieces (XLM-R: <unk> <s> </s>)");
        }
        vocab = {{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
        vocab.reserve(static_cast<std::size_t>(count) + 2);
        for (int i = 3; i < count; ++i) vocab.push_back({processor.IdToPiece(i), score(i)});
        vocab.push_back({"<mask>", 0.0});
        unk_id = 3;
    } else {
        throw Error(Status::invalid_config, "sentencepiece: unknown id_mapping \"" + config.id_mapping + "\"");
    }
    return Unigram(std::move(vocab), unk_id, config.byte_fallback);
}

SentencePieceModel::SentencePieceModel(const SentencePieceConfig& config)
    : SentencePieceModel(config, sentencepiece_proto::read_model(config.model_proto)) {}

SentencePieceModel::SentencePieceModel(const SentencePieceConfig& config,
                                       const sentencepiece_proto::ModelSummary& proto)
    : charsmap_(proto.precompiled_charsmap),
      unigram_(load_vocab(config, proto)),
      strip_right_(config.strip_right),
      space_runs_(config.space_runs),
      whitespace_split_(config.whitespace_split),
      prepend_space_(config.prepend_space) {
    if (!space_runs_.empty() && space_runs_ != " " && space_runs_ != metaspace) {
        throw Error(Status::invalid_config, "sentencepiece: space_runs must be \"\", \" \" or \"\u2581\"");
    }
}

bool SentencePieceModel::is_cut_point(std::string_view text, std::size_t at) const {
    // Before an ASCII whitespace byte that follows an ASCII letter or digit without a normalization rule:
    // a grapheme boundary (UAX #29 GB5 / GB999), and a word boundary for WhitespaceSplit (Metaspace alone:
    // only a space is, and a run of spaces is not cut since the byte before is not one).
    const char c = text[at];
    const bool whitespace = whitespace_split_ ? (c == ' ' || (c >= '\t' && c <= '\r')) : c == ' ';
    if (!whitespace || !is_ascii_alnum(text[at - 1])) return false;
    std::string_view replacement;
    if (charsmap_.transform(text.substr(at - 1, 1), &replacement)) return false;
    // The whitespace byte must stay whitespace after normalization.
    if (charsmap_.transform(text.substr(at, 1), &replacement)) {
        if (replacement.empty()) return false;
        for (char r : replacement) {
            if (!(r == ' ' || (whitespace_split_ && r >= '\t' && r <= '\r'))) return false;
        }
    }
    return true;
}

void SentencePieceModel::normalize_into(std::string_view text, std::string& normalized, std::string& scratch) const {
    // normalizer: Precompiled.
    normalized.clear();
    charsmap_.normalize(text, normalized);
    // normalizer: Strip(left=false, right=true).
    if (strip_right_) {
        std::size_t end = normalized.size();
        while (end > 0) {
            std::size_t begin = end - 1;
            while (begin > 0 && (static_cast<unsigned char>(normalized[begin]) & 0xC0) == 0x80) --begin;
            char32_t cp;
            utf8_next(normalized, begin, &cp);
            if (!is_whitespace(cp)) break;
            end = begin;
        }
        normalized.resize(end);
    }
    // normalizer: Replace(Regex(" {2,}"), space_runs).
    if (!space_runs_.empty() && normalized.find("  ") != std::string::npos) {
        scratch.clear();
        for (std::size_t i = 0; i < normalized.size();) {
            if (normalized[i] == ' ' && i + 1 < normalized.size() && normalized[i + 1] == ' ') {
                while (i < normalized.size() && normalized[i] == ' ') ++i;
                scratch.append(space_runs_);
            } else {
                scratch.push_back(normalized[i++]);
            }
        }
        normalized.swap(scratch);
    }
}

template <class OnPreToken>
bool SentencePieceModel::pre_tokenize(std::string_view normalized, std::string& scratch, OnPreToken&& on_pre_token) const {
    // pre_tokenizer: Metaspace on one piece: " " -> "▁", "▁" in front (prepend_scheme "always" unless it
    // starts with one), split before every "▁" (MergedWithNext).
    auto metaspace_split = [&](std::string_view piece) {
        scratch.clear();
        if (prepend_space_ && piece.substr(0, metaspace.size()) != metaspace && piece[0] != ' ') {
            scratch.append(metaspace);
        }
        for (char c : piece) {
            if (c == ' ') {
                scratch.append(metaspace);
            } else {
                scratch.push_back(c);
            }
        }
        const std::string_view s(scratch);
        std::size_t begin = 0;
        for (;;) {
            const std::size_t next = s.find(metaspace, begin + 1);
            if (next == std::string_view::npos) break;
            if (!on_pre_token(s.substr(begin, next - begin))) return false;
            begin = next;
        }
        return on_pre_token(s.substr(begin));
    };
    if (!whitespace_split_) return normalized.empty() || metaspace_split(normalized);
    // pre_tokenizer: WhitespaceSplit (removes every Unicode whitespace character, keeps the words between).
    std::size_t word = 0;
    for (std::size_t pos = 0; pos < normalized.size();) {
        char32_t cp;
        const std::size_t next = utf8_next(normalized, pos, &cp);
        if (is_whitespace(cp)) {
            if (pos > word && !metaspace_split(normalized.substr(word, pos - word))) return false;
            word = next;
        }
        pos = next;
    }
    return word >= normalized.size() || metaspace_split(normalized.substr(word));
}

void SentencePieceModel::append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const {
    utf8_validate(text);
    if (out.size() >= limit) return;
    std::string normalized, scratch;
    Unigram::Scratch lattice;
    auto on_pre_token = [&](std::string_view pre_token) {
        unigram_.encode(pre_token, lattice, out);
        return out.size() < limit;
    };
    while (!text.empty()) {
        std::size_t cut = text.size();
        for (std::size_t at = chunk_bytes; at < text.size(); ++at) {
            if (is_cut_point(text, at)) {
                cut = at;
                break;
            }
        }
        normalize_into(text.substr(0, cut), normalized, scratch);
        if (!pre_tokenize(normalized, scratch, on_pre_token)) return;
        text.remove_prefix(cut);
    }
}

std::string SentencePieceModel::normalize(std::string_view text) const {
    utf8_validate(text);
    std::string normalized, scratch;
    normalize_into(text, normalized, scratch);
    return normalized;
}

void SentencePieceModel::append_normalized(std::string_view normalized, std::size_t limit,
                                           std::vector<int32_t>& out) const {
    utf8_validate(normalized);
    if (out.size() >= limit) return;
    std::string scratch;
    Unigram::Scratch lattice;
    auto on_pre_token = [&](std::string_view pre_token) {
        unigram_.encode(pre_token, lattice, out);
        return out.size() < limit;
    };
    // Normalized already: any space (and for WhitespaceSplit any ASCII whitespace) starts a new pre-token.
    while (!normalized.empty()) {
        std::size_t cut = normalized.size();
        for (std::size_t at = chunk_bytes; at < normalized.size(); ++at) {
            const char c = normalized[at];
            if (c == ' ' || (whitespace_split_ && c >= '\t' && c <= '\r')) {
                cut = at;
                break;
            }
        }
        if (!pre_tokenize(normalized.substr(0, cut), scratch, on_pre_token)) return;
        normalized.remove_prefix(cut);
    }
}

std::vector<std::string> SentencePieceModel::pre_tokens(std::string_view text) const {
    const std::string normalized = normalize(text);
    std::vector<std::string> result;
    std::string scratch;
    pre_tokenize(normalized, scratch, [&](std::string_view p) {
        result.emplace_back(p);
        return true;
    });
    return result;
}

}  // namespace edgembed
