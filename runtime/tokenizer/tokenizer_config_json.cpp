#include "runtime/tokenizer/tokenizer_config_json.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace edgembed {

namespace {

using nlohmann::json;

template <class T>
T get(const json& object, const char* key, const std::string& where) {
    if (!object.is_object() || !object.contains(key))
        throw Error(Status::invalid_config, where + ": missing key '" + key + "'");
    try {
        return object.at(key).get<T>();
    } catch (const json::exception&) {
        throw Error(Status::invalid_config, where + ": key '" + key + "' has the wrong type");
    }
}

// value = object[key] when the key is there (files written before it have the default).
template <class T>
void get_optional(const json& object, const char* key, const std::string& where, T& value) {
    if (object.is_object() && object.contains(key)) value = get<T>(object, key, where);
}

std::vector<std::string> take_vocab(const json& object, std::vector<std::string>* vocab, const std::string& where) {
    if (vocab != nullptr && !vocab->empty()) return std::move(*vocab);
    return get<std::vector<std::string>>(object, "vocab", where);
}

void read_wordpiece(const json& w, std::vector<std::string>* vocab, const std::string& wp, WordPieceConfig& out) {
    out.vocab = take_vocab(w, vocab, wp);
    out.lowercase = get<bool>(w, "lowercase", wp);
    out.strip_accents = get<bool>(w, "strip_accents", wp);
    out.handle_chinese_chars = get<bool>(w, "handle_chinese_chars", wp);
    out.clean_text = get<bool>(w, "clean_text", wp);
    out.unk_token = get<std::string>(w, "unk_token", wp);
    out.continuing_subword_prefix = get<std::string>(w, "continuing_subword_prefix", wp);
    out.max_input_chars_per_word = get<int>(w, "max_input_chars_per_word", wp);
}

}  // namespace

void to_json(json& out, const TokenizerConfig& c) {
    json added = json::array();
    for (const AddedToken& a : c.added_tokens)
        added.push_back({{"content", a.content}, {"id", a.id}, {"lstrip", a.lstrip}, {"rstrip", a.rstrip},
                         {"single_word", a.single_word}, {"normalized", a.normalized}});
    out = {{"type", c.type}, {"added_tokens", added}, {"prefix", c.prefix}, {"suffix", c.suffix}, {"pad_id", c.pad_id}};
    if (c.type == "wordpiece") {
        const WordPieceConfig& w = c.wordpiece;
        out["wordpiece"] = {{"vocab", w.vocab},
                            {"lowercase", w.lowercase},
                            {"strip_accents", w.strip_accents},
                            {"handle_chinese_chars", w.handle_chinese_chars},
                            {"clean_text", w.clean_text},
                            {"unk_token", w.unk_token},
                            {"continuing_subword_prefix", w.continuing_subword_prefix},
                            {"max_input_chars_per_word", w.max_input_chars_per_word}};
    } else if (c.type == "bpe") {
        const BpeConfig& b = c.bpe;
        out["bpe"] = {{"vocab", b.vocab},
                      {"merges", b.merges},
                      {"normalizer", b.normalizer},
                      {"pre_tokenizer", b.pre_tokenizer},
                      {"add_prefix_space", b.add_prefix_space},
                      {"unk_token", b.unk_token},
                      {"ignore_merges", b.ignore_merges}};
        if (!b.byte_level) {  // SentencePiece-style only: byte-level configs are written as before
            out["bpe"]["byte_level"] = false;
            out["bpe"]["byte_fallback"] = b.byte_fallback;
            out["bpe"]["fuse_unk"] = b.fuse_unk;
            if (b.pre_tokenizer == "split") {
                out["bpe"]["split_pattern"] = b.split_pattern;
                out["bpe"]["split_behavior"] = b.split_behavior;
                out["bpe"]["split_invert"] = b.split_invert;
            }
        }
    } else if (c.type == "sentencepiece") {
        const SentencePieceConfig& p = c.sentencepiece;
        out["sentencepiece"] = {{"id_mapping", p.id_mapping},  // the model: a u8 tensor
                                {"strip_right", p.strip_right},
                                {"space_runs", p.space_runs},
                                {"whitespace_split", p.whitespace_split},
                                {"prepend_space", p.prepend_space},
                                {"byte_fallback", p.byte_fallback},
                                {"json_scores", p.json_scores}};
    }
}

TokenizerConfig tokenizer_config_from_json(const json& in, std::vector<std::string>* vocab) {
    const std::string where = "model config: tokenizer";
    TokenizerConfig c;
    c.type = get<std::string>(in, "type", where);
    c.prefix = get<std::vector<int32_t>>(in, "prefix", where);
    c.suffix = get<std::vector<int32_t>>(in, "suffix", where);
    c.pad_id = get<int32_t>(in, "pad_id", where);
    const json added = get<json>(in, "added_tokens", where);
    if (!added.is_array()) throw Error(Status::invalid_config, where + ": added_tokens must be an array");
    for (const json& a : added) {
        const std::string at = where + ".added_tokens";
        c.added_tokens.push_back(AddedToken{get<std::string>(a, "content", at), get<int32_t>(a, "id", at),
                                            get<bool>(a, "lstrip", at), get<bool>(a, "rstrip", at),
                                            get<bool>(a, "single_word", at), get<bool>(a, "normalized", at)});
    }
    if (c.type == "wordpiece") {
        read_wordpiece(get<json>(in, "wordpiece", where), vocab, where + ".wordpiece", c.wordpiece);
    } else if (c.type == "bpe") {
        const std::string bp = where + ".bpe";
        const json b = get<json>(in, "bpe", where);
        c.bpe.vocab = take_vocab(b, vocab, bp);
        c.bpe.merges = get<std::vector<std::string>>(b, "merges", bp);
        c.bpe.normalizer = get<std::string>(b, "normalizer", bp);
        c.bpe.pre_tokenizer = get<std::string>(b, "pre_tokenizer", bp);
        c.bpe.add_prefix_space = get<bool>(b, "add_prefix_space", bp);
        c.bpe.unk_token = get<std::string>(b, "unk_token", bp);
        c.bpe.ignore_merges = get<bool>(b, "ignore_merges", bp);
        // Absent in files written before SentencePiece-style BPE: byte-level.
        auto optional = [&](const char* key, auto& value) { get_optional(b, key, bp, value); };
        optional("byte_level", c.bpe.byte_level);
        optional("byte_fallback", c.bpe.byte_fallback);
        optional("fuse_unk", c.bpe.fuse_unk);
        optional("split_pattern", c.bpe.split_pattern);
        optional("split_behavior", c.bpe.split_behavior);
        optional("split_invert", c.bpe.split_invert);
    } else if (c.type == "sentencepiece") {
        const std::string sp = where + ".sentencepiece";
        const json p = get<json>(in, "sentencepiece", where);
        SentencePieceConfig& out = c.sentencepiece;
        out.id_mapping = get<std::string>(p, "id_mapping", sp);
        // Hugging Face's text steps around the model; absent (files written before them): the defaults.
        auto optional = [&](const char* key, auto& value) { get_optional(p, key, sp, value); };
        optional("strip_right", out.strip_right);
        optional("space_runs", out.space_runs);
        optional("whitespace_split", out.whitespace_split);
        optional("prepend_space", out.prepend_space);
        optional("byte_fallback", out.byte_fallback);
        optional("json_scores", out.json_scores);
    } else {
        throw Error(Status::invalid_config, where + ": unsupported type '" + c.type + "' (supported: wordpiece, sentencepiece, bpe)");
    }
    return c;
}

TokenizerConfig legacy_wordpiece_config_from_json(const json& w, std::vector<std::string>* vocab) {
    const std::string wp = "model config: wordpiece";
    TokenizerConfig c;
    c.type = "wordpiece";
    read_wordpiece(w, vocab, wp, c.wordpiece);
    const std::vector<std::string>& v = c.wordpiece.vocab;
    auto id_of = [&](const std::string& token, const char* role) {
        const auto it = std::find(v.begin(), v.end(), token);
        if (it == v.end()) throw Error(Status::invalid_config, "wordpiece: " + std::string(role) + " \"" + token + "\" is not in the vocab");
        return static_cast<int32_t>(it - v.begin());
    };
    c.prefix = {id_of(get<std::string>(w, "cls_token", wp), "cls_token")};
    c.suffix = {id_of(get<std::string>(w, "sep_token", wp), "sep_token")};
    c.pad_id = id_of(get<std::string>(w, "pad_token", wp), "pad_token");
    id_of(c.wordpiece.unk_token, "unk_token");
    for (const std::string& token : get<std::vector<std::string>>(w, "added_tokens", wp)) {
        if (token.empty()) throw Error(Status::invalid_config, "wordpiece: empty added token");
        const bool seen = std::any_of(c.added_tokens.begin(), c.added_tokens.end(), [&](const AddedToken& a) { return a.content == token; });
        if (!seen) c.added_tokens.push_back(AddedToken{token, id_of(token, "added token")});
    }
    return c;
}

void validate(const TokenizerConfig& c, int vocab_size) {
    auto fail = [](const std::string& what) { throw Error(Status::invalid_config, "model config: tokenizer: " + what); };
    auto check_id = [&](int32_t id, const std::string& what) {
        if (id < 0 || id >= vocab_size)
            fail(what + " id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_size));
    };
    for (int32_t id : c.prefix) check_id(id, "template prefix");
    for (int32_t id : c.suffix) check_id(id, "template suffix");
    check_id(c.pad_id, "pad");
    for (const AddedToken& a : c.added_tokens) {
        if (a.content.empty()) fail("an added token is empty");
        check_id(a.id, "added token '" + a.content + "'");
    }
    if (c.type == "wordpiece") {
        if (static_cast<int64_t>(c.wordpiece.vocab.size()) != vocab_size)
            fail("wordpiece vocab has " + std::to_string(c.wordpiece.vocab.size()) + " entries, vocab_size is " + std::to_string(vocab_size));
        if (c.wordpiece.max_input_chars_per_word <= 0) fail("max_input_chars_per_word must be positive");
    } else if (c.type == "bpe") {
        if (static_cast<int64_t>(c.bpe.vocab.size()) > vocab_size)
            fail("bpe vocab has " + std::to_string(c.bpe.vocab.size()) + " entries, more than vocab_size " + std::to_string(vocab_size));
    } else if (c.type == "sentencepiece") {
        if (c.sentencepiece.id_mapping != "identity" && c.sentencepiece.id_mapping != "fairseq")
            fail("unknown sentencepiece id_mapping '" + c.sentencepiece.id_mapping + "'");
        const std::string& runs = c.sentencepiece.space_runs;
        if (!runs.empty() && runs != " " && runs != "\xE2\x96\x81") fail("sentencepiece space_runs must be \"\", \" \" or \"\u2581\"");
    } else {
        fail("unsupported type '" + c.type + "' (supported: wordpiece, sentencepiece, bpe)");
    }
}

}  // namespace edgembed
