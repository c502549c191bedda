#include "tools/convert/hf_bpe.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/byte_level_bpe.h"
#include "runtime/tokenizer/sentencepiece_bpe.h"

namespace edgembed::convert {

using nlohmann::json;

const char* const kGpt2SplitRegex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kQwen2SplitRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

// Ids above this are refused: no real vocabulary comes near, and the id -> token table is that long (a forged
// id must not cost gigabytes).
constexpr int64_t kMaxTokenId = (int64_t{1} << 22) - 1;

[[noreturn]] void unsupported(const std::string& file, const std::string& what) {
    throw Error(Status::unsupported_architecture, file + ": " + what);
}
[[noreturn]] void bad_config(const std::string& file, const std::string& what) {
    throw Error(Status::invalid_config, file + ": " + what);
}
[[noreturn]] void bad_checkpoint(const std::string& file, const std::string& what) {
    throw Error(Status::invalid_checkpoint, file + ": " + what);
}

bool present(const json& object, const char* key) { return object.contains(key) && !object.at(key).is_null(); }

std::string type_of(const json& object, const std::string& file, const std::string& where) {
    if (!object.is_object()) bad_config(file, where + " is not a JSON object");
    if (!present(object, "type")) bad_config(file, where + " has no \"type\"");
    if (!object.at("type").is_string()) bad_config(file, where + ".type is not a string");
    return object.at("type").get<std::string>();
}

bool boolean(const json& object, const char* key, std::optional<bool> fallback, const std::string& file,
             const std::string& where) {
    if (!present(object, key)) {
        if (fallback) return *fallback;
        bad_config(file, where + " has no \"" + key + "\"");
    }
    if (!object.at(key).is_boolean()) bad_config(file, where + "." + key + " is not true or false");
    return object.at(key).get<bool>();
}

// vocab.json / model.vocab: {token: id} -> id -> token (ids without a token stay "").
std::vector<std::string> vocab_from_json(const json& vocab, const std::string& file, const std::string& where) {
    if (!vocab.is_object()) bad_config(file, where + " is not a JSON object");
    if (vocab.empty()) bad_checkpoint(file, where + " is empty");
    std::vector<std::string> tokens;
    for (const auto& [token, id_json] : vocab.items()) {
        if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0 || id_json.get<int64_t>() > kMaxTokenId) {
            bad_checkpoint(file, where + ": the id of \"" + token + "\" is not an integer in [0, " +
                                     std::to_string(kMaxTokenId) + "]");
        }
        if (token.empty()) bad_checkpoint(file, where + ": the empty string is not a token");
        const auto id = static_cast<std::size_t>(id_json.get<int64_t>());
        if (id >= tokens.size()) tokens.resize(id + 1);
        if (!tokens[id].empty()) {
            bad_checkpoint(file, where + ": \"" + tokens[id] + "\" and \"" + token + "\" have the same id " +
                                     std::to_string(id));
        }
        tokens[id] = token;
    }
    return tokens;
}

// model.merges: "a b" strings (split at the one space, as `tokenizers` does) or ["a", "b"] pairs.
std::vector<std::string> merges_from_json(const json& merges, const std::string& file) {
    if (!merges.is_array()) bad_config(file, "model.merges is not an array");
    std::vector<std::string> out;
    out.reserve(merges.size());
    for (std::size_t i = 0; i < merges.size(); ++i) {
        const json& m = merges[i];
        const std::string where = "model.merges[" + std::to_string(i) + "]";
        if (m.is_string()) {
            const std::string& s = m.get_ref<const std::string&>();
            const std::size_t space = s.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
                s.find(' ', space + 1) != std::string::npos) {
                bad_checkpoint(file, where + " \"" + s + "\" is not two tokens separated by one space");
            }
            out.push_back(s);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            const std::string& a = m[0].get_ref<const std::string&>();
            const std::string& b = m[1].get_ref<const std::string&>();
            if (a.empty() || b.empty()) bad_checkpoint(file, where + " has an empty token");
            if (a.find(' ') != std::string::npos || b.find(' ') != std::string::npos) {
                unsupported(file, where + " merges a token that contains a space (the model file keeps a merge as "
                                          "\"left right\")");
            }
            out.push_back(a + " " + b);
        } else {
            bad_config(file, where + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }
    if (out.empty()) bad_checkpoint(file, "model.merges is empty");
    return out;
}

void append_normalizer(const json& normalizer, const std::string& file, std::string& spec) {
    const std::string type = type_of(normalizer, file, "normalizer");
    auto add = [&](const char* step) {
        if (!spec.empty()) spec += ',';
        spec += step;
    };
    if (type == "NFC") {
        add("nfc");
    } else if (type == "Lowercase") {
        add("lowercase");
    } else if (type == "Sequence") {
        if (!present(normalizer, "normalizers") || !normalizer.at("normalizers").is_array()) {
            bad_config(file, "normalizer Sequence has no \"normalizers\" array");
        }
        for (const json& step : normalizer.at("normalizers")) append_normalizer(step, file, spec);
    } else {
        unsupported(file, "normalizer \"" + type + "\" is not supported for BPE (only NFC, Lowercase and Sequences of them)");
    }
}

void read_pre_tokenizer(const json& top, const std::string& file, BpeConfig& config) {
    const json& pre = top.at("pre_tokenizer");
    const std::string type = type_of(pre, file, "pre_tokenizer");
    if (type == "ByteLevel") {
        if (!boolean(pre, "use_regex", true, file, "pre_tokenizer")) {
            unsupported(file, "pre_tokenizer ByteLevel with use_regex false and no Split before it does not split words");
        }
        config.pre_tokenizer = "gpt2";
        config.add_prefix_space = boolean(pre, "add_prefix_space", std::nullopt, file, "pre_tokenizer");
        return;
    }
    if (type != "Sequence") {
        unsupported(file, "pre_tokenizer \"" + type + "\" is not supported for BPE (only ByteLevel, or a Sequence of "
                          "Split and ByteLevel)");
    }
    if (!present(pre, "pretokenizers") || !pre.at("pretokenizers").is_array()) {
        bad_config(file, "pre_tokenizer Sequence has no \"pretokenizers\" array");
    }
    const json& steps = pre.at("pretokenizers");
    std::vector<std::string> types;
    std::string names;
    for (const json& step : steps) {
        types.push_back(type_of(step, file, "pre_tokenizer step"));
        names += (names.empty() ? "" : ", ") + types.back();
    }
    if (types.size() != 2 || types[0] != "Split" || types[1] != "ByteLevel") {
        unsupported(file, "pre_tokenizer Sequence [" + names + "] is not supported (only [Split, ByteLevel])");
    }
    const json& split = steps[0];
    const json& byte_level = steps[1];
    if (!present(split, "pattern") || !split.at("pattern").is_object()) bad_config(file, "pre_tokenizer Split has no \"pattern\"");
    const json& pattern = split.at("pattern");
    if (!present(pattern, "Regex") || !pattern.at("Regex").is_string()) {
        unsupported(file, "pre_tokenizer Split with a String pattern is not supported (only the GPT-2 or Qwen2 Regex)");
    }
    const std::string regex = pattern.at("Regex").get<std::string>();
    if (regex == kQwen2SplitRegex) {
        config.pre_tokenizer = "qwen2";
    } else if (regex == kGpt2SplitRegex) {
        config.pre_tokenizer = "gpt2";
    } else {
        unsupported(file, "pre_tokenizer Split regex \"" + regex + "\" is not supported (only the GPT-2 and Qwen2 patterns)");
    }
    const std::string behavior = present(split, "behavior") && split.at("behavior").is_string()
                                     ? split.at("behavior").get<std::string>()
                                     : std::string("(missing)");
    if (behavior != "Isolated") {
        unsupported(file, "pre_tokenizer Split behavior \"" + behavior + "\" is not supported (only Isolated)");
    }
    if (boolean(split, "invert", false, file, "pre_tokenizer Split")) {
        unsupported(file, "pre_tokenizer Split with invert true is not supported");
    }
    if (boolean(byte_level, "use_regex", true, file, "pre_tokenizer ByteLevel")) {
        unsupported(file, "pre_tokenizer ByteLevel after Split with use_regex true (a second split) is not supported");
    }
    if (boolean(byte_level, "add_prefix_space", std::nullopt, file, "pre_tokenizer ByteLevel")) {
        unsupported(file, "pre_tokenizer ByteLevel after Split with add_prefix_space true (a space before every "
                          "word) is not supported");
    }
    config.add_prefix_space = false;
}

// Byte-level when the pre-tokenizer is ByteLevel or a Sequence holding one; SentencePiece-style otherwise.
bool is_byte_level(const json& top, const std::string& file) {
    if (!present(top, "pre_tokenizer")) return false;
    const json& pre = top.at("pre_tokenizer");
    const std::string type = type_of(pre, file, "pre_tokenizer");
    if (type == "ByteLevel") return true;
    if (type != "Sequence" || !present(pre, "pretokenizers") || !pre.at("pretokenizers").is_array()) return false;
    for (const json& step : pre.at("pretokenizers"))
        if (step.is_object() && step.value("type", json()).is_string() && step.at("type") == "ByteLevel") return true;
    return false;
}

// SentencePiece-style normalizers: Replace(" ", "▁"), Prepend("▁"), a Sequence of them, or none.
void append_sentencepiece_normalizer(const json& normalizer, const std::string& file, std::string& spec) {
    const std::string type = type_of(normalizer, file, "normalizer");
    auto add = [&](const std::string& step) {
        if (("," + spec + ",").find("," + step + ",") != std::string::npos) {
            unsupported(file, "normalizer " + type + " appears twice");
        }
        spec += (spec.empty() ? "" : ",") + step;
    };
    auto string_at = [&](const json& object, const char* key) {
        return present(object, key) && object.at(key).is_string() ? object.at(key).get<std::string>() : std::string("\x01");
    };
    if (type == "Replace") {
        const json pattern = present(normalizer, "pattern") ? normalizer.at("pattern") : json();
        if (!pattern.is_object() || string_at(pattern, "String") != " " || string_at(normalizer, "content") != "\xE2\x96\x81") {
            unsupported(file, "normalizer Replace " + pattern.dump() + " -> " + normalizer.value("content", json()).dump() +
                                  " is not supported for SentencePiece-style BPE (only Replace(\" \", \"\u2581\"))");
        }
        add("space_to_metaspace");
    } else if (type == "Prepend") {
        if (string_at(normalizer, "prepend") != "\xE2\x96\x81") {
            unsupported(file, "normalizer Prepend " + normalizer.value("prepend", json()).dump() +
                                  " is not supported for SentencePiece-style BPE (only Prepend(\"\u2581\"))");
        }
        add("prepend_metaspace");
    } else if (type == "Sequence") {
        if (!present(normalizer, "normalizers") || !normalizer.at("normalizers").is_array()) {
            bad_config(file, "normalizer Sequence has no \"normalizers\" array");
        }
        for (const json& step : normalizer.at("normalizers")) append_sentencepiece_normalizer(step, file, spec);
    } else {
        unsupported(file, "normalizer \"" + type + "\" is not supported for SentencePiece-style BPE (only Replace(\" \", "
                          "\"\u2581\"), Prepend(\"\u2581\") and Sequences of them)");
    }
}

// SentencePiece-style pre-tokenizers: none, or Split on a String pattern (alone or as a Sequence of one).
void read_sentencepiece_pre_tokenizer(const json& top, const std::string& file, BpeConfig& config) {
    config.pre_tokenizer = "none";
    if (!present(top, "pre_tokenizer")) return;
    const json* split = &top.at("pre_tokenizer");
    std::string type = type_of(*split, file, "pre_tokenizer");
    if (type == "Sequence" && present(*split, "pretokenizers") && split->at("pretokenizers").is_array() &&
        split->at("pretokenizers").size() == 1) {
        split = &split->at("pretokenizers")[0];
        type = type_of(*split, file, "pre_tokenizer step");
    }
    if (type != "Split") {
        unsupported(file, "pre_tokenizer \"" + type + "\" is not supported for SentencePiece-style BPE (only Split on a "
                          "String pattern, or none)");
    }
    if (!present(*split, "pattern") || !split->at("pattern").is_object()) bad_config(file, "pre_tokenizer Split has no \"pattern\"");
    const json& pattern = split->at("pattern");
    if (!present(pattern, "String") || !pattern.at("String").is_string()) {
        unsupported(file, "pre_tokenizer Split pattern " + pattern.dump() + " is not supported for SentencePiece-style BPE "
                          "(only a String pattern)");
    }
    static const std::pair<const char*, const char*> kBehaviors[] = {
        {"Removed", "removed"}, {"Isolated", "isolated"}, {"MergedWithPrevious", "merged_with_previous"},
        {"MergedWithNext", "merged_with_next"}, {"Contiguous", "contiguous"}};
    const std::string behavior = present(*split, "behavior") && split->at("behavior").is_string()
                                     ? split->at("behavior").get<std::string>()
                                     : std::string("(missing)");
    for (const auto& [json_name, name] : kBehaviors)
        if (behavior == json_name) config.split_behavior = name;
    if (config.split_behavior.empty()) bad_config(file, "pre_tokenizer Split behavior \"" + behavior + "\" is not one of tokenizers' five");
    config.pre_tokenizer = "split";
    config.split_pattern = pattern.at("String").get<std::string>();
    config.split_invert = boolean(*split, "invert", false, file, "pre_tokenizer Split");
}

// The runtime's own checks (every merge's parts and result in the vocab, ...), named after the file.
void check_buildable(const BpeConfig& config, const std::string& file) {
    try {
        if (config.byte_level) {
            const ByteLevelBpe check(config);
        } else {
            const SentencePieceBpe check(config);
        }
    } catch (const Error& e) {
        bad_checkpoint(file, e.what());
    }
}

}  // namespace

BpeConfig bpe_from_tokenizer_json(const json& tokenizer_json, const std::string& file) {
    if (!tokenizer_json.is_object()) bad_config(file, "not a JSON object");
    if (!present(tokenizer_json, "model")) bad_config(file, "missing key \"model\"");
    const json& model = tokenizer_json.at("model");
    if (!model.is_object()) bad_config(file, "model is not a JSON object");
    // Files written by tokenizers before 0.9 have no model.type (the model is recognized by its keys).
    if (present(model, "type")) {
        const std::string type = type_of(model, file, "model");
        if (type != "BPE") unsupported(file, "tokenizer model \"" + type + "\" is not BPE");
    }

    BpeConfig config;
    if (present(model, "dropout")) {
        if (!model.at("dropout").is_number()) bad_config(file, "model.dropout is not a number");
        if (model.at("dropout").get<double>() != 0.0) {
            unsupported(file, "model.dropout " + model.at("dropout").dump() + " is not supported (random merges)");
        }
    }
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (!present(model, key)) continue;
        if (!model.at(key).is_string()) bad_config(file, std::string("model.") + key + " is not a string");
        if (!model.at(key).get<std::string>().empty()) {
            unsupported(file, std::string("model.") + key + " \"" + model.at(key).get<std::string>() +
                                  "\" is not supported (byte-level BPE has none)");
        }
    }
    config.byte_level = is_byte_level(tokenizer_json, file);
    config.byte_fallback = boolean(model, "byte_fallback", false, file, "model");
    config.fuse_unk = boolean(model, "fuse_unk", false, file, "model");
    if (config.byte_level && config.byte_fallback) {
        unsupported(file, "model.byte_fallback true with a ByteLevel pre-tokenizer is not supported (<0x..> byte tokens "
                          "are SentencePiece-style BPE's)");
    }
    if (config.byte_level && config.fuse_unk) {
        unsupported(file, "model.fuse_unk true with a ByteLevel pre-tokenizer is not supported");
    }
    config.ignore_merges = boolean(model, "ignore_merges", false, file, "model");
    if (present(model, "unk_token")) {
        if (!model.at("unk_token").is_string()) bad_config(file, "model.unk_token is not a string");
        config.unk_token = model.at("unk_token").get<std::string>();
    }
    if (!present(model, "vocab")) bad_config(file, "missing key \"model.vocab\"");
    if (!present(model, "merges")) bad_checkpoint(file, "model.merges is missing");
    config.vocab = vocab_from_json(model.at("vocab"), file, "model.vocab");
    config.merges = merges_from_json(model.at("merges"), file);

    if (config.byte_level) {
        if (present(tokenizer_json, "normalizer")) append_normalizer(tokenizer_json.at("normalizer"), file, config.normalizer);
        read_pre_tokenizer(tokenizer_json, file, config);
    } else {
        if (present(tokenizer_json, "normalizer")) {
            append_sentencepiece_normalizer(tokenizer_json.at("normalizer"), file, config.normalizer);
        }
        read_sentencepiece_pre_tokenizer(tokenizer_json, file, config);
    }
    check_buildable(config, file);
    return config;
}

BpeConfig bpe_from_vocab_merges(const std::string& vocab_json_text, const std::string& merges_text,
                                const std::string& vocab_file, const std::string& merges_file) {
    BpeConfig config;
    json vocab;
    try {
        vocab = json::parse(vocab_json_text);
    } catch (const json::exception& e) {
        bad_checkpoint(vocab_file, std::string("not valid JSON (") + e.what() + ")");
    }
    if (!vocab.is_object()) bad_checkpoint(vocab_file, "not a JSON object of token -> id");
    config.vocab = vocab_from_json(vocab, vocab_file, "the vocabulary");

    // One merge per line, "left right"; "#version ..." lines and empty lines are skipped.
    std::string_view rest = merges_text;
    for (std::size_t line_number = 1; !rest.empty(); ++line_number) {
        const std::size_t newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.substr(0, 8) == "#version") continue;
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
            line.find(' ', space + 1) != std::string_view::npos) {
            bad_checkpoint(merges_file, "line " + std::to_string(line_number) + " \"" + std::string(line.substr(0, 80)) +
                                            "\" is not two tokens separated by one space");
        }
        config.merges.emplace_back(line);
    }
    if (config.merges.empty()) bad_checkpoint(merges_file, "no merges (the file is empty)");
    config.pre_tokenizer = "gpt2";
    check_buildable(config, merges_file);
    return config;
}

}  // namespace edgembed::convert
