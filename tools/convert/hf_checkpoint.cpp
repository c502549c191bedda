#include "tools/convert/hf_checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "base/error.h"
#include "tools/convert/safetensors.h"
#include "tools/convert/torch_bin.h"

namespace edgembed::convert {

namespace {

using nlohmann::json;

constexpr uint64_t kMaxJsonBytes = 256ull << 20;  // tokenizer.json of a large vocabulary is tens of MB
constexpr uint64_t kMaxVocabBytes = 64ull << 20;

std::string join(const std::string& dir, const std::string& name) {
    if (name.empty()) return dir;
    if (dir.empty() || dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A directory's files, named in messages relative to the directory given on the command line.
class Files {
public:
    Files(std::string root, std::string sub) : root_(std::move(root)), sub_(std::move(sub)) {}

    std::string path(const std::string& name) const { return join(join(root_, sub_), name); }
    std::string display(const std::string& name) const { return join(sub_, name); }
    bool has(const std::string& name) const { return is_file(path(name)); }

    std::string read_text(const std::string& name, uint64_t limit) const {
        std::ifstream in(path(name), std::ios::binary);
        if (!in) {
            const int saved = errno;
            throw Error(saved == ENOENT ? Status::file_not_found : Status::io_error,
                        "cannot open " + display(name) + ": " + std::strerror(saved));
        }
        in.seekg(0, std::ios::end);
        const auto size = static_cast<uint64_t>(in.tellg());
        if (size > limit)
            throw Error(Status::invalid_checkpoint, display(name) + ": " + std::to_string(size) + " bytes is more than the limit of " + std::to_string(limit));
        in.seekg(0);
        std::string text(static_cast<size_t>(size), '\0');
        if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw Error(Status::io_error, "cannot read " + display(name));
        return text;
    }

    json read_json(const std::string& name) const {
        const std::string text = read_text(name, kMaxJsonBytes);
        try {
            return json::parse(text);
        } catch (const json::exception& e) {
            throw Error(Status::invalid_checkpoint, display(name) + ": not valid JSON (" + e.what() + ")");
        }
    }

    std::optional<json> read_json_if_present(const std::string& name) const {
        if (!has(name)) return std::nullopt;
        return read_json(name);
    }

private:
    std::string root_, sub_;
};

// Typed access to one JSON object, naming file and key in every error.
class Keys {
public:
    Keys(const json& object, std::string file) : object_(object), file_(std::move(file)) {
        if (!object_.is_object()) throw Error(Status::invalid_config, file_ + ": not a JSON object");
    }

    bool has(const char* key) const { return object_.contains(key) && !object_.at(key).is_null(); }
    const json& raw(const char* key) const { return object_.at(key); }

    int integer(const char* key, std::optional<int> fallback = std::nullopt) const {
        if (!has(key)) {
            if (fallback) return *fallback;
            missing(key);
        }
        const json& v = object_.at(key);
        if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) wrong(key, "an integer");
        return v.get<int>();
    }
    // Integers and floats alike (model_max_length is often 1e30); nullopt when absent.
    std::optional<double> number(const char* key) const {
        if (!has(key)) return std::nullopt;
        if (!object_.at(key).is_number()) wrong(key, "a number");
        return object_.at(key).get<double>();
    }
    std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) const {
        if (!has(key)) {
            if (fallback) return *fallback;
            missing(key);
        }
        if (!object_.at(key).is_string()) wrong(key, "a string");
        return object_.at(key).get<std::string>();
    }
    bool boolean(const char* key, bool fallback) const {
        if (!has(key)) return fallback;
        if (!object_.at(key).is_boolean()) wrong(key, "true or false");
        return object_.at(key).get<bool>();
    }
    std::optional<bool> optional_boolean(const char* key) const {
        if (!has(key)) return std::nullopt;
        return boolean(key, false);
    }
    // A token given as "text" or as {"content": "text", ...}.
    std::optional<std::string> token(const char* key) const {
        if (!has(key)) return std::nullopt;
        const json& v = object_.at(key);
        if (v.is_string()) return v.get<std::string>();
        if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
        wrong(key, "a token string");
    }

    const std::string& file() const { return file_; }

private:
    [[noreturn]] void missing(const char* key) const {
        throw Error(Status::invalid_config, file_ + ": missing key '" + key + "'");
    }
    [[noreturn]] void wrong(const char* key, const char* what) const {
        throw Error(Status::invalid_config, file_ + ": key '" + key + "' must be " + what);
    }

    const json& object_;
    std::string file_;
};

// The last component of a dotted class path ("sentence_transformers.models.Pooling" -> "Pooling").
std::string class_name(const std::string& type) {
    const size_t dot = type.rfind('.');
    return dot == std::string::npos ? type : type.substr(dot + 1);
}

bool safe_relative_path(const std::string& p) {
    if (!p.empty() && p.front() == '/') return false;
    std::stringstream parts(p);
    std::string part;
    while (std::getline(parts, part, '/'))
        if (part == "..") return false;
    return true;
}

// --- sentence-transformers modules ---------------------------------------------------------------

struct Modules {
    bool present = false;
    std::string transformer_path;  // "" = the directory itself
    std::string pooling_path;
    bool normalize = false;
};

Modules read_modules(const Files& root) {
    Modules m;
    const std::optional<json> doc = root.read_json_if_present("modules.json");
    if (!doc) return m;
    m.present = true;
    if (!doc->is_array()) throw Error(Status::invalid_config, "modules.json: not a JSON array");
    bool transformer = false, pooling = false;
    size_t position = 0;
    for (const json& entry : *doc) {
        const Keys module(entry, "modules.json");
        const std::string type = module.string("type");
        const std::string path = module.string("path", std::string());
        if (!safe_relative_path(path))
            throw Error(Status::invalid_checkpoint, "modules.json: module path '" + path + "' leaves the model directory");
        const std::string kind = class_name(type);
        auto order_error = [&](const std::string& what) {
            return Error(Status::unsupported_architecture, "modules.json: " + what + " (supported: Transformer, Pooling, Normalize, in that order)");
        };
        if (kind == "Transformer") {
            if (position != 0) throw order_error("the Transformer module is not the first one");
            m.transformer_path = path;
            transformer = true;
        } else if (kind == "Pooling") {
            if (!transformer || pooling) throw order_error("unexpected Pooling module");
            m.pooling_path = path;
            pooling = true;
        } else if (kind == "Normalize") {
            if (!pooling || m.normalize) throw order_error("unexpected Normalize module");
            m.normalize = true;
        } else {
            throw Error(Status::unsupported_architecture,
                        "modules.json: module '" + type + "' (path '" + path + "') is not supported (supported: Transformer, Pooling, Normalize)");
        }
        ++position;
    }
    if (!transformer) throw Error(Status::unsupported_architecture, "modules.json: no Transformer module");
    if (!pooling) throw Error(Status::unsupported_architecture, "modules.json: no Pooling module, so the model does not produce sentence embeddings");
    return m;
}

Pooling read_pooling(const Files& root, const std::string& path, int hidden_size) {
    const std::string file = join(path, "config.json");
    if (!root.has(file)) throw Error(Status::file_not_found, "no " + file + " (the Pooling module's config)");
    const json doc = root.read_json(file);
    const Keys keys(doc, file);
    if (keys.has("word_embedding_dimension") && keys.integer("word_embedding_dimension") != hidden_size)
        throw Error(Status::invalid_checkpoint, file + ": word_embedding_dimension " + std::to_string(keys.integer("word_embedding_dimension")) +
                                                    " differs from config.json hidden_size " + std::to_string(hidden_size));
    static const std::pair<const char*, const char*> modes[] = {
        {"pooling_mode_mean_tokens", "mean"},
        {"pooling_mode_cls_token", "cls"},
        {"pooling_mode_max_tokens", "max"},
        {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"},
        {"pooling_mode_weightedmean_tokens", "weightedmean"},
        {"pooling_mode_lasttoken", "lasttoken"},
    };
    std::vector<std::string> enabled;
    for (const auto& [key, name] : modes)
        if (keys.boolean(key, false)) enabled.push_back(name);
    if (enabled.empty()) throw Error(Status::invalid_config, file + ": no pooling mode is enabled");
    if (enabled.size() > 1) {
        std::string list;
        for (const std::string& e : enabled) list += (list.empty() ? "" : ", ") + e;
        throw Error(Status::unsupported_architecture, file + ": combines several pooling modes (" + list + "); only one of mean, cls, max is supported");
    }
    if (enabled[0] == "mean") return Pooling::mean;
    if (enabled[0] == "cls") return Pooling::cls;
    if (enabled[0] == "max") return Pooling::max;
    throw Error(Status::unsupported_architecture, file + ": pooling mode '" + enabled[0] + "' is not supported (only mean, cls, max)");
}

// --- tokenizer -----------------------------------------------------------------------------------

// vocab.txt as Python's text mode reads it: universal newlines, one token per line, the last line's
// newline optional.
std::vector<std::string> read_vocab(const Files& files) {
    if (!files.has("vocab.txt"))
        throw Error(Status::file_not_found, "no " + files.display("vocab.txt") + " in '" + files.path("") +
                                                "' (only WordPiece tokenizers with a vocab.txt are supported)");
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

struct Tokenizer {
    WordPieceConfig wordpiece;
    std::optional<double> model_max_length;  // tokenizer_config.json
};

void apply_bert_normalizer(const json& normalizer, const std::string& file, WordPieceConfig* w, const NoteFn& note) {
    if (normalizer.is_null()) {
        w->lowercase = w->strip_accents = w->handle_chinese_chars = w->clean_text = false;
        if (note) note(file + " has no normalizer: no lowercasing, accent stripping or text cleaning");
        return;
    }
    const Keys n(normalizer, file + " normalizer");
    const std::string type = n.string("type");
    if (type != "BertNormalizer")
        throw Error(Status::unsupported_architecture, file + ": normalizer '" + type + "' is not supported (only BertNormalizer)");
    w->clean_text = n.boolean("clean_text", true);
    w->handle_chinese_chars = n.boolean("handle_chinese_chars", true);
    w->lowercase = n.boolean("lowercase", true);
    w->strip_accents = n.optional_boolean("strip_accents").value_or(w->lowercase);
}

Tokenizer read_tokenizer(const Files& files, const NoteFn& note) {
    Tokenizer t;
    WordPieceConfig& w = t.wordpiece;
    w.vocab = read_vocab(files);
    std::unordered_map<std::string, int> ids;
    for (size_t i = 0; i < w.vocab.size(); ++i) ids.emplace(w.vocab[i], static_cast<int>(i));

    // Verbatim tokens, in order, each once; every one must be in the vocabulary at its id.
    std::vector<std::string> added;
    auto add_verbatim = [&](const std::string& token, std::optional<int64_t> id, const std::string& file) {
        auto it = ids.find(token);
        if (it == ids.end())
            throw Error(Status::invalid_checkpoint, file + ": added token '" + token + "' is not in vocab.txt (tokens beyond the vocabulary are not supported)");
        if (id && !(*id >= 0 && *id < static_cast<int64_t>(w.vocab.size()) && w.vocab[static_cast<size_t>(*id)] == token))
            throw Error(Status::invalid_checkpoint, file + ": added token '" + token + "' has id " + std::to_string(*id) +
                                                        " but vocab.txt has it at " + std::to_string(it->second));
        if (std::find(added.begin(), added.end(), token) == added.end()) added.push_back(token);
    };

    // tokenizer_config.json: the slow tokenizer's settings.
    const std::optional<json> config_doc = files.read_json_if_present("tokenizer_config.json");
    std::optional<std::string> specials[5];  // unk, cls, sep, pad, mask
    static const char* const special_keys[5] = {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token"};
    if (config_doc) {
        const Keys c(*config_doc, files.display("tokenizer_config.json"));
        w.lowercase = c.boolean("do_lower_case", true);
        w.strip_accents = c.optional_boolean("strip_accents").value_or(w.lowercase);
        w.handle_chinese_chars = c.boolean("tokenize_chinese_chars", true);
        if (!c.boolean("do_basic_tokenize", true))
            throw Error(Status::unsupported_architecture, c.file() + ": do_basic_tokenize false is not supported");
        t.model_max_length = c.number("model_max_length");
        for (int i = 0; i < 5; ++i) specials[i] = c.token(special_keys[i]);
    }
    // special_tokens_map.json overrides the spellings.
    if (const std::optional<json> map_doc = files.read_json_if_present("special_tokens_map.json")) {
        const Keys m(*map_doc, files.display("special_tokens_map.json"));
        for (int i = 0; i < 5; ++i)
            if (std::optional<std::string> v = m.token(special_keys[i])) specials[i] = v;
    }

    // tokenizer.json: what the fast tokenizer (the Hugging Face default) really does.
    if (const std::optional<json> doc = files.read_json_if_present("tokenizer.json")) {
        const std::string file = files.display("tokenizer.json");
        const Keys top(*doc, file);
        if (!top.has("model")) throw Error(Status::invalid_config, file + ": missing key 'model'");
        const Keys model(top.raw("model"), file + " model");
        const std::string type = model.string("type");
        if (type != "WordPiece")
            throw Error(Status::unsupported_architecture, file + ": tokenizer model '" + type + "' is not supported (only WordPiece)");
        w.unk_token = model.string("unk_token", w.unk_token);
        w.continuing_subword_prefix = model.string("continuing_subword_prefix", w.continuing_subword_prefix);
        w.max_input_chars_per_word = model.integer("max_input_chars_per_word", w.max_input_chars_per_word);
        if (model.has("vocab")) {  // must agree with vocab.txt
            const json& v = model.raw("vocab");
            if (!v.is_object()) throw Error(Status::invalid_config, file + ": model.vocab is not an object");
            if (v.size() != w.vocab.size())
                throw Error(Status::invalid_checkpoint, file + " has " + std::to_string(v.size()) + " vocabulary entries, vocab.txt has " +
                                                            std::to_string(w.vocab.size()));
            for (const auto& [token, id] : v.items())
                if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(w.vocab.size()) ||
                    w.vocab[id.get<size_t>()] != token)
                    throw Error(Status::invalid_checkpoint, file + " and vocab.txt disagree about the token '" + token + "'");
        }
        apply_bert_normalizer(top.has("normalizer") ? top.raw("normalizer") : json(), file, &w, note);
        const std::string pre = top.has("pre_tokenizer") ? Keys(top.raw("pre_tokenizer"), file + " pre_tokenizer").string("type") : "none";
        if (pre != "BertPreTokenizer")
            throw Error(Status::unsupported_architecture, file + ": pre_tokenizer '" + pre + "' is not supported (only BertPreTokenizer)");
        if (top.has("added_tokens")) {
            if (!top.raw("added_tokens").is_array()) throw Error(Status::invalid_config, file + ": added_tokens is not an array");
            for (const json& entry : top.raw("added_tokens")) {
                const Keys a(entry, file + " added_tokens");
                const std::string content = a.string("content");
                if (a.boolean("normalized", true)) {
                    if (note) note(file + ": added token '" + content + "' has normalized=true and is left to WordPiece");
                    continue;
                }
                add_verbatim(content, a.integer("id"), file);
            }
        }
    } else {
        // The slow tokenizer never splits its special tokens, nor added tokens with normalized=false.
        for (const auto& s : specials)
            if (s) add_verbatim(*s, std::nullopt, "special tokens");
        if (config_doc && config_doc->contains("added_tokens_decoder")) {
            const std::string file = files.display("tokenizer_config.json");
            const json& decoder = config_doc->at("added_tokens_decoder");
            if (!decoder.is_object()) throw Error(Status::invalid_config, file + ": added_tokens_decoder is not an object");
            for (const auto& [id, entry] : decoder.items()) {
                const Keys a(entry, file + " added_tokens_decoder");
                if (a.boolean("normalized", true)) continue;
                char* end = nullptr;
                const long long value = std::strtoll(id.c_str(), &end, 10);
                if (id.empty() || *end != '\0') throw Error(Status::invalid_config, file + ": added_tokens_decoder key '" + id + "' is not an id");
                add_verbatim(a.string("content"), value, file);
            }
        }
        if (files.has("added_tokens.json") && note) note(files.display("added_tokens.json") + " is ignored");
    }

    if (specials[0]) w.unk_token = *specials[0];
    if (specials[1]) w.cls_token = *specials[1];
    if (specials[2]) w.sep_token = *specials[2];
    if (specials[3]) w.pad_token = *specials[3];
    for (const auto& [name, token] : {std::pair<const char*, const std::string*>{"unk_token", &w.unk_token},
                                      {"cls_token", &w.cls_token}, {"sep_token", &w.sep_token}, {"pad_token", &w.pad_token}})
        if (!ids.count(*token))
            throw Error(Status::invalid_checkpoint, std::string("the ") + name + " '" + *token + "' is not in vocab.txt");
    w.added_tokens = std::move(added);
    return t;
}

// --- config.json ---------------------------------------------------------------------------------

void read_model_config(const Files& files, ModelConfig* c, std::string* name_or_path) {
    const std::string file = files.display("config.json");
    if (!files.has("config.json"))
        throw Error(Status::file_not_found, "no " + file + " in '" + files.path("") + "' (expected a Hugging Face model directory)");
    const json doc = files.read_json("config.json");
    const Keys k(doc, file);
    const std::string model_type = k.string("model_type");
    if (model_type != "bert")
        throw Error(Status::unsupported_architecture, "unsupported model_type '" + model_type + "' (supported: bert)");
    const std::string act = k.string("hidden_act", std::string("gelu"));
    if (act != "gelu")
        throw Error(Status::unsupported_architecture, file + ": hidden_act '" + act + "' is not supported (only 'gelu', the erf form)");
    const std::string position = k.string("position_embedding_type", std::string("absolute"));
    if (position != "absolute")
        throw Error(Status::unsupported_architecture, file + ": position_embedding_type '" + position + "' is not supported (only 'absolute')");
    if (k.boolean("is_decoder", false) || k.boolean("add_cross_attention", false))
        throw Error(Status::unsupported_architecture, file + ": decoder / cross-attention BERT models are not supported");
    c->architecture = "bert";
    c->hidden_act = "gelu";
    c->hidden_size = k.integer("hidden_size");
    c->num_layers = k.integer("num_hidden_layers");
    c->num_heads = k.integer("num_attention_heads");
    c->intermediate_size = k.integer("intermediate_size");
    c->max_position_embeddings = k.integer("max_position_embeddings");
    c->type_vocab_size = k.integer("type_vocab_size", 2);
    c->vocab_size = k.integer("vocab_size");
    c->layer_norm_eps = static_cast<float>(k.number("layer_norm_eps").value_or(1e-12));
    *name_or_path = k.string("_name_or_path", std::string());
}

// --- weights -------------------------------------------------------------------------------------

TensorSet read_sharded(const Files& files, const std::string& index_name, TensorSet (*read_shard)(const std::string&),
                       std::string* description) {
    const json doc = files.read_json(index_name);
    const std::string file = files.display(index_name);
    const Keys k(doc, file);
    if (!k.has("weight_map") || !k.raw("weight_map").is_object()) throw Error(Status::invalid_config, file + ": missing key 'weight_map'");
    std::map<std::string, std::vector<std::string>> shards;  // shard -> tensors it must hold
    for (const auto& [tensor, shard] : k.raw("weight_map").items()) {
        if (!shard.is_string()) throw Error(Status::invalid_config, file + ": weight_map['" + tensor + "'] is not a file name");
        const std::string name = shard.get<std::string>();
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
            throw Error(Status::invalid_checkpoint, file + ": shard name '" + name + "' is not a plain file name");
        shards[name].push_back(tensor);
    }
    if (shards.empty()) throw Error(Status::invalid_checkpoint, file + ": weight_map is empty");
    TensorSet all;
    for (const auto& [name, tensors] : shards) {
        if (!files.has(name)) throw Error(Status::file_not_found, file + " names the shard '" + name + "', which does not exist");
        TensorSet shard = read_shard(files.path(name));
        for (const std::string& t : tensors)
            if (!shard.find(t)) throw Error(Status::invalid_checkpoint, file + ": tensor '" + t + "' is not in its shard '" + name + "'");
        all.merge(std::move(shard));
    }
    *description = std::to_string(shards.size()) + " shard" + (shards.size() == 1 ? "" : "s") + " of " + index_name;
    return all;
}

}  // namespace

HfCheckpoint read_hf_checkpoint(const std::string& dir, const NoteFn& note) {
    if (!is_directory(dir)) throw Error(Status::file_not_found, "'" + dir + "' is not a directory");
    const Files root(dir, "");
    const Modules modules = read_modules(root);
    const Files files(dir, modules.transformer_path);

    HfCheckpoint out;
    out.model_dir = files.path("");
    ModelConfig& c = out.config;
    std::string name_or_path;
    read_model_config(files, &c, &name_or_path);

    Tokenizer tokenizer = read_tokenizer(files, note);
    c.tokenizer_type = "wordpiece";
    c.wordpiece = std::move(tokenizer.wordpiece);
    if (static_cast<int>(c.wordpiece.vocab.size()) != c.vocab_size)
        throw Error(Status::invalid_checkpoint, files.display("vocab.txt") + " has " + std::to_string(c.wordpiece.vocab.size()) +
                                                    " tokens but " + files.display("config.json") + " vocab_size is " + std::to_string(c.vocab_size));

    if (modules.present) {
        c.pooling = read_pooling(root, modules.pooling_path, c.hidden_size);
        c.normalize = modules.normalize;
    } else {
        c.pooling = Pooling::mean;
        c.normalize = false;
        if (note) note("no modules.json: a plain Hugging Face checkpoint, so mean pooling without normalization");
    }

    // max_seq_length: sentence_bert_config.json, else the tokenizer's model_max_length, capped at the
    // position table, else the position table.
    const std::optional<json> sbert = files.read_json_if_present("sentence_bert_config.json");
    const int max_positions = c.max_position_embeddings;
    if (sbert && Keys(*sbert, files.display("sentence_bert_config.json")).has("max_seq_length")) {
        const Keys s(*sbert, files.display("sentence_bert_config.json"));
        c.max_seq_length = s.integer("max_seq_length");
        if (c.max_seq_length > max_positions) {
            if (note) note(s.file() + ": max_seq_length " + std::to_string(c.max_seq_length) + " capped at max_position_embeddings " + std::to_string(max_positions));
            c.max_seq_length = max_positions;
        }
        if (s.boolean("do_lower_case", false) && !c.wordpiece.lowercase) {
            c.wordpiece.lowercase = true;
            if (note) note(s.file() + ": do_lower_case lowercases the input before the tokenizer");
        }
    } else if (tokenizer.model_max_length && std::isfinite(*tokenizer.model_max_length) && *tokenizer.model_max_length >= 2) {
        c.max_seq_length = static_cast<int>(std::min<double>(*tokenizer.model_max_length, max_positions));
    } else {
        c.max_seq_length = max_positions;
    }

    std::error_code ignored;
    const std::filesystem::path resolved = std::filesystem::weakly_canonical(dir, ignored);
    c.source = base_name(resolved.empty() ? dir : resolved.string());
    if (!name_or_path.empty()) c.source += " (" + name_or_path + ")";
    c.weight_dtype = "f32";
    c.default_temperature = 1.0f;
    return out;
}

HfWeights read_hf_weights(const std::string& model_dir) {
    const Files files(model_dir, "");
    HfWeights out;
    if (files.has("model.safetensors")) {
        out.tensors = read_safetensors(files.path("model.safetensors"));
        out.files = "model.safetensors";
    } else if (files.has("model.safetensors.index.json")) {
        out.tensors = read_sharded(files, "model.safetensors.index.json", read_safetensors, &out.files);
    } else if (files.has("pytorch_model.bin")) {
        out.tensors = read_torch_bin(files.path("pytorch_model.bin"));
        out.files = "pytorch_model.bin";
    } else if (files.has("pytorch_model.bin.index.json")) {
        out.tensors = read_sharded(files, "pytorch_model.bin.index.json", read_torch_bin, &out.files);
    } else {
        throw Error(Status::file_not_found, "no weights in '" + model_dir +
                                                "' (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin, "
                                                "pytorch_model.bin.index.json)");
    }
    return out;
}

}  // namespace edgembed::convert
