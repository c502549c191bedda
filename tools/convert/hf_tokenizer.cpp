#include "tools/convert/hf_tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "base/error.h"
#include "runtime/json_keys.h"
#include "runtime/tokenizer/pieces_model.h"
#include "tools/convert/hf_bpe.h"

namespace edgembed::convert {

namespace {

using nlohmann::json;

// The special tokens' spellings, from tokenizer_config.json and special_tokens_map.json.
struct Specials {
    static constexpr int kCount = 7;
    static constexpr const char* kKeys[kCount] = {"unk_token", "cls_token", "sep_token", "pad_token",
                                                  "mask_token", "bos_token", "eos_token"};
    std::optional<std::string> values[kCount];
    const std::optional<std::string>& unk() const { return values[0]; }
    const std::optional<std::string>& cls() const { return values[1]; }
    const std::optional<std::string>& sep() const { return values[2]; }
    const std::optional<std::string>& pad() const { return values[3]; }
    const std::optional<std::string>& eos() const { return values[6]; }
};

// vocab.txt as Python's text mode reads it: universal newlines, one token per line, the last line's
// newline optional.
std::vector<std::string> read_vocab_txt(const HfFiles& files) {
    const std::string text = files.read_text("vocab.txt", kMaxVocabBytes);
    std::vector<std::string> vocab;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        vocab.push_back(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < text.size()) vocab.push_back(text.substr(start));
    if (vocab.empty()) throw Error(Status::invalid_checkpoint, files.display("vocab.txt") + " is empty");
    return vocab;
}

// tokenizer.json's model.vocab ({token: id}) as an id -> token list; the ids must be 0..n-1.
std::vector<std::string> dense_vocab(const json& vocab, const std::string& file) {
    if (!vocab.is_object()) throw Error(Status::invalid_config, file + ": model.vocab is not an object");
    std::vector<std::string> out(vocab.size());
    std::vector<bool> seen(vocab.size(), false);
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(out.size()) || seen[id.get<size_t>()])
            throw Error(Status::invalid_checkpoint, file + ": model.vocab ids are not 0.." + std::to_string(out.size() - 1) +
                                                        " each once (token '" + token + "')");
        seen[id.get<size_t>()] = true;
        out[id.get<size_t>()] = token;
    }
    return out;
}

void apply_bert_normalizer(const json& normalizer, const std::string& file, WordPieceConfig* w, const NoteFn& note) {
    if (normalizer.is_null()) {
        w->lowercase = w->strip_accents = w->handle_chinese_chars = w->clean_text = false;
        if (note) note(file + " has no normalizer: no lowercasing, accent stripping or text cleaning");
        return;
    }
    const JsonKeys n(normalizer, file + " normalizer");
    const std::string type = n.string("type");
    if (type != "BertNormalizer")
        throw Error(Status::unsupported_architecture, file + ": normalizer '" + type + "' is not supported with WordPiece (only BertNormalizer)");
    w->clean_text = n.boolean("clean_text", true);
    w->handle_chinese_chars = n.boolean("handle_chinese_chars", true);
    w->lowercase = n.boolean("lowercase", true);
    w->strip_accents = n.optional_boolean("strip_accents").value_or(w->lowercase);
}

// The WordPiece settings of tokenizer.json (vocab.txt, when present, must agree with model.vocab).
void read_wordpiece_json(const JsonKeys& top, const JsonKeys& model, const HfFiles& files, WordPieceConfig& w, const NoteFn& note) {
    const std::string& file = top.file();
    w.unk_token = model.string("unk_token", w.unk_token);
    w.continuing_subword_prefix = model.string("continuing_subword_prefix", w.continuing_subword_prefix);
    w.max_input_chars_per_word = model.integer("max_input_chars_per_word", w.max_input_chars_per_word);
    if (model.has("vocab")) {
        std::vector<std::string> from_json = dense_vocab(model.raw("vocab"), file);
        if (w.vocab.empty()) {
            w.vocab = std::move(from_json);
        } else if (from_json != w.vocab) {
            if (from_json.size() != w.vocab.size())
                throw Error(Status::invalid_checkpoint, file + " has " + std::to_string(from_json.size()) + " vocabulary entries, vocab.txt has " +
                                                            std::to_string(w.vocab.size()));
            for (size_t i = 0; i < w.vocab.size(); ++i)
                if (from_json[i] != w.vocab[i])
                    throw Error(Status::invalid_checkpoint, file + " and vocab.txt disagree about the token '" + from_json[i] + "'");
        }
    }
    if (w.vocab.empty())
        throw Error(Status::file_not_found, "no " + files.display("vocab.txt") + " and no model.vocab in " + file);
    apply_bert_normalizer(top.has("normalizer") ? top.raw("normalizer") : json(), file, &w, note);
    const std::string pre = top.has("pre_tokenizer") ? JsonKeys(top.raw("pre_tokenizer"), file + " pre_tokenizer").string("type") : "none";
    if (pre != "BertPreTokenizer")
        throw Error(Status::unsupported_architecture, file + ": pre_tokenizer '" + pre + "' is not supported with WordPiece (only BertPreTokenizer)");
}

// One post-processor's template for a single text; `known` receives the ids of the special tokens it names.
void read_post_processor(const json& pp, const std::string& file, TokenizerConfig& c) {
    if (pp.is_null()) return;
    const JsonKeys k(pp, file + " post_processor");
    const std::string type = k.string("type");
    auto token_id = [&](const char* key) {
        const json& pair = k.raw(key);
        if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer())
            throw Error(Status::invalid_config, file + ": post_processor." + key + " must be [token, id]");
        return pair[1].get<int32_t>();
    };
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        if (!k.has("cls") || !k.has("sep")) throw Error(Status::invalid_config, file + ": post_processor needs cls and sep");
        c.prefix = {token_id("cls")};
        c.suffix = {token_id("sep")};
    } else if (type == "TemplateProcessing") {
        if (!k.has("single") || !k.raw("single").is_array()) throw Error(Status::invalid_config, file + ": post_processor.single is not a list");
        const json specials = k.has("special_tokens") ? k.raw("special_tokens") : json::object();
        bool sequence_seen = false;
        c.prefix.clear();
        c.suffix.clear();
        for (const json& item : k.raw("single")) {
            if (item.is_object() && item.contains("Sequence")) {
                if (sequence_seen) throw Error(Status::unsupported_architecture, file + ": post_processor.single has two sequences");
                sequence_seen = true;
                continue;
            }
            if (!item.is_object() || !item.contains("SpecialToken") || !item.at("SpecialToken").contains("id"))
                throw Error(Status::invalid_config, file + ": post_processor.single has an item that is neither Sequence nor SpecialToken");
            const std::string name = item.at("SpecialToken").at("id").get<std::string>();
            if (!specials.contains(name) || !specials.at(name).contains("ids") || !specials.at(name).at("ids").is_array())
                throw Error(Status::invalid_config, file + ": post_processor special token '" + name + "' has no ids");
            std::vector<int32_t>& side = sequence_seen ? c.suffix : c.prefix;
            for (const json& id : specials.at(name).at("ids")) {
                if (!id.is_number_integer()) throw Error(Status::invalid_config, file + ": post_processor special token '" + name + "' has a non-integer id");
                side.push_back(id.get<int32_t>());
            }
        }
        if (!sequence_seen) throw Error(Status::unsupported_architecture, file + ": post_processor.single has no sequence");
    } else if (type == "Sequence") {
        if (!k.has("processors") || !k.raw("processors").is_array()) throw Error(Status::invalid_config, file + ": post_processor.processors is not a list");
        for (const json& p : k.raw("processors")) read_post_processor(p, file, c);
    } else if (type == "ByteLevel") {
        // offsets only: the ids are unchanged
    } else {
        throw Error(Status::unsupported_architecture, file + ": post_processor '" + type + "' is not supported "
                                                          "(supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)");
    }
}

// tokenizer.json's added tokens: matched verbatim in the raw text (normalized=false) or in the normalized text.
void read_added_tokens(const JsonKeys& top, TokenizerConfig& c, const NoteFn& note) {
    if (!top.has("added_tokens")) return;
    const std::string& file = top.file();
    if (!top.raw("added_tokens").is_array()) throw Error(Status::invalid_config, file + ": added_tokens is not an array");
    for (const json& entry : top.raw("added_tokens")) {
        const JsonKeys a(entry, file + " added_tokens");
        const std::string content = a.string("content");
        const bool normalized = a.boolean("normalized", true);
        if (normalized && note) note(file + ": added token '" + content + "' has normalized=true: matched after normalization");
        const int id = a.integer("id");
        const bool seen = std::any_of(c.added_tokens.begin(), c.added_tokens.end(), [&](const AddedToken& t) { return t.content == content; });
        if (!seen)
            c.added_tokens.push_back(AddedToken{content, id, a.boolean("lstrip", false), a.boolean("rstrip", false),
                                                a.boolean("single_word", false), normalized});
    }
}

// The id of a token: an added token's, else the pieces model's; -1 when neither has it.
int32_t find_id(const TokenizerConfig& c, const PiecesModel* pieces, const std::string& token) {
    for (const AddedToken& a : c.added_tokens)
        if (a.content == token) return a.id;
    return pieces ? pieces->token_to_id(token) : -1;
}

// Slow tokenizers (no tokenizer.json) never split their special tokens, nor added tokens with
// normalized=false (tokenizer_config.json's added_tokens_decoder).
void read_slow_added_tokens(const std::optional<json>& config_doc, const HfFiles& files, const Specials& specials,
                            const PiecesModel& pieces, TokenizerConfig& c, const NoteFn& note) {
    auto add = [&](const std::string& token, std::optional<int64_t> id, const std::string& file) {
        const int32_t found = pieces.token_to_id(token);
        if (found < 0 && !id)
            throw Error(Status::invalid_checkpoint, file + ": added token '" + token + "' is not in the vocabulary (tokens beyond it need an id)");
        if (id && found >= 0 && found != *id)
            throw Error(Status::invalid_checkpoint, file + ": added token '" + token + "' has id " + std::to_string(*id) +
                                                        " but the vocabulary has it at " + std::to_string(found));
        const bool seen = std::any_of(c.added_tokens.begin(), c.added_tokens.end(), [&](const AddedToken& t) { return t.content == token; });
        if (!seen) c.added_tokens.push_back(AddedToken{token, static_cast<int32_t>(id ? *id : found)});
    };
    for (const auto& s : specials.values)
        if (s) add(*s, std::nullopt, "special tokens");
    if (config_doc && config_doc->contains("added_tokens_decoder")) {
        const std::string file = files.display("tokenizer_config.json");
        const json& decoder = config_doc->at("added_tokens_decoder");
        if (!decoder.is_object()) throw Error(Status::invalid_config, file + ": added_tokens_decoder is not an object");
        for (const auto& [id, entry] : decoder.items()) {
            const JsonKeys a(entry, file + " added_tokens_decoder");
            if (a.boolean("normalized", true)) continue;
            char* end = nullptr;
            const long long value = std::strtoll(id.c_str(), &end, 10);
            if (id.empty() || *end != '\0') throw Error(Status::invalid_config, file + ": added_tokens_decoder key '" + id + "' is not an id");
            add(a.string("content"), value, file);
        }
    }
    if (files.has("added_tokens.json") && note) note(files.display("added_tokens.json") + " is ignored");
}

}  // namespace

HfTokenizer read_hf_tokenizer(const HfFiles& files, const std::string& model_type, const NoteFn& note) {
    (void)model_type;  // picks SentencePiece id mappings
    HfTokenizer out;
    TokenizerConfig& c = out.config;
    WordPieceConfig& w = c.wordpiece;

    // tokenizer_config.json: the slow tokenizer's settings; special_tokens_map.json overrides spellings.
    const std::optional<json> config_doc = files.read_json_if_present("tokenizer_config.json");
    Specials specials;
    if (config_doc) {
        const JsonKeys k(*config_doc, files.display("tokenizer_config.json"));
        w.lowercase = k.boolean("do_lower_case", true);
        w.strip_accents = k.optional_boolean("strip_accents").value_or(w.lowercase);
        w.handle_chinese_chars = k.boolean("tokenize_chinese_chars", true);
        if (!k.boolean("do_basic_tokenize", true))
            throw Error(Status::unsupported_architecture, k.file() + ": do_basic_tokenize false is not supported");
        out.model_max_length = k.number("model_max_length");
        for (int i = 0; i < Specials::kCount; ++i) specials.values[i] = k.token(Specials::kKeys[i]);
    }
    if (const std::optional<json> map_doc = files.read_json_if_present("special_tokens_map.json")) {
        const JsonKeys m(*map_doc, files.display("special_tokens_map.json"));
        for (int i = 0; i < Specials::kCount; ++i)
            if (std::optional<std::string> v = m.token(Specials::kKeys[i])) specials.values[i] = v;
    }
    if (files.has("vocab.txt")) w.vocab = read_vocab_txt(files);

    std::unique_ptr<PiecesModel> pieces;
    if (const std::optional<json> doc = files.read_json_if_present("tokenizer.json")) {
        const std::string file = files.display("tokenizer.json");
        const JsonKeys top(*doc, file);
        if (!top.has("model")) throw Error(Status::invalid_config, file + ": missing key 'model'");
        const JsonKeys model(top.raw("model"), file + " model");
        const std::string type = model.string("type");
        if (type == "WordPiece") {
            c.type = "wordpiece";
            read_wordpiece_json(top, model, files, w, note);
        } else if (type == "BPE") {
            c.type = "bpe";
            c.bpe = bpe_from_tokenizer_json(*doc, file);
        } else {
            throw Error(Status::unsupported_architecture, file + ": tokenizer model '" + type + "' is not supported (supported: WordPiece, BPE)");
        }
        read_added_tokens(top, c, note);
        pieces = make_pieces_model(c);
        read_post_processor(top.has("post_processor") ? top.raw("post_processor") : json(), file, c);
    } else if (!w.vocab.empty()) {
        c.type = "wordpiece";
        pieces = make_pieces_model(c);
        read_slow_added_tokens(config_doc, files, specials, *pieces, c, note);
        const std::string cls = specials.cls().value_or("[CLS]"), sep = specials.sep().value_or("[SEP]");
        for (const auto& [role, token] : {std::pair<const char*, const std::string*>{"cls_token", &cls}, {"sep_token", &sep}})
            if (pieces->token_to_id(*token) < 0)
                throw Error(Status::invalid_checkpoint, std::string("the ") + role + " '" + *token + "' is not in vocab.txt");
        c.prefix = {pieces->token_to_id(cls)};
        c.suffix = {pieces->token_to_id(sep)};
    } else if (files.has("vocab.json") && files.has("merges.txt")) {  // a RoBERTa-style slow tokenizer
        c.type = "bpe";
        c.bpe = bpe_from_vocab_merges(files.read_text("vocab.json", kMaxJsonBytes), files.read_text("merges.txt", kMaxJsonBytes),
                                      files.display("vocab.json"), files.display("merges.txt"));
        if (config_doc) c.bpe.add_prefix_space = JsonKeys(*config_doc, files.display("tokenizer_config.json")).boolean("add_prefix_space", false);
        pieces = make_pieces_model(c);
        read_slow_added_tokens(config_doc, files, specials, *pieces, c, note);
        const std::string cls = specials.cls().value_or("<s>"), sep = specials.sep().value_or("</s>");
        c.prefix = {find_id(c, pieces.get(), cls)};
        c.suffix = {find_id(c, pieces.get(), sep)};
        if (c.prefix[0] < 0 || c.suffix[0] < 0)
            throw Error(Status::invalid_checkpoint, "the cls_token '" + cls + "' or sep_token '" + sep + "' is not in vocab.json");
    } else if (files.has("merges.txt") || files.has("vocab.json")) {
        throw Error(Status::invalid_checkpoint, "a byte-level BPE tokenizer needs both vocab.json and merges.txt; " +
                                                    files.display(files.has("merges.txt") ? "vocab.json" : "merges.txt") + " is missing");
    } else {
        throw Error(Status::file_not_found, "no tokenizer in '" + files.path("") +
                                                "' (looked for tokenizer.json, vocab.txt, vocab.json + merges.txt)");
    }

    if (specials.unk() && c.type == "wordpiece") {
        w.unk_token = *specials.unk();
        pieces = make_pieces_model(c);  // the unk token must be in the vocabulary
    }
    const std::string pad = specials.pad().value_or(c.type == "wordpiece" ? "[PAD]" : "<pad>");
    c.pad_id = find_id(c, pieces.get(), pad);
    if (c.pad_id < 0) throw Error(Status::invalid_checkpoint, "the pad_token '" + pad + "' is not in the vocabulary");
    return out;
}

}  // namespace edgembed::convert
