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
#include "runtime/json_keys.h"
#include "runtime/models/family.h"
#include "tools/convert/hf_files.h"
#include "tools/convert/hf_tokenizer.h"
#include "runtime/tokenizer/pieces_model.h"
#include "tools/convert/safetensors.h"
#include "tools/convert/st_dense.h"
#include "tools/convert/torch_bin.h"

namespace edgembed::convert {

namespace {

using nlohmann::json;

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
    std::vector<std::string> dense_paths;  // in order, after Pooling
    bool normalize = false;
};

Modules read_modules(const HfFiles& root) {
    Modules m;
    const std::optional<json> doc = root.read_json_if_present("modules.json");
    if (!doc) return m;
    m.present = true;
    if (!doc->is_array()) throw Error(Status::invalid_config, "modules.json: not a JSON array");
    bool transformer = false, pooling = false;
    size_t position = 0;
    for (const json& entry : *doc) {
        const JsonKeys module(entry, "modules.json");
        const std::string type = module.string("type");
        const std::string path = module.string("path", std::string());
        if (!safe_relative_path(path))
            throw Error(Status::invalid_checkpoint, "modules.json: module path '" + path + "' leaves the model directory");
        const std::string kind = class_name(type);
        auto order_error = [&](const std::string& what) {
            return Error(Status::unsupported_architecture,
                         "modules.json: " + what + " (supported: Transformer, Pooling, Dense ..., Normalize, in that order)");
        };
        if (kind == "Transformer") {
            if (position != 0) throw order_error("the Transformer module is not the first one");
            m.transformer_path = path;
            transformer = true;
        } else if (kind == "Pooling") {
            if (!transformer || pooling) throw order_error("unexpected Pooling module");
            m.pooling_path = path;
            pooling = true;
        } else if (kind == "Dense") {
            if (!pooling || m.normalize) throw order_error("unexpected Dense module");
            m.dense_paths.push_back(path);
        } else if (kind == "Normalize") {
            if (!pooling || m.normalize) throw order_error("unexpected Normalize module");
            m.normalize = true;
        } else {
            throw Error(Status::unsupported_architecture,
                        "modules.json: module '" + type + "' (path '" + path + "') is not supported (supported: Transformer, Pooling, Dense, Normalize)");
        }
        ++position;
    }
    if (!transformer) throw Error(Status::unsupported_architecture, "modules.json: no Transformer module");
    if (!pooling) throw Error(Status::unsupported_architecture, "modules.json: no Pooling module, so the model does not produce sentence embeddings");
    return m;
}

Pooling read_pooling(const HfFiles& root, const std::string& path, int hidden_size) {
    const std::string file = join_path(path, "config.json");
    if (!root.has(file)) throw Error(Status::file_not_found, "no " + file + " (the Pooling module's config)");
    const json doc = root.read_json(file);
    const JsonKeys keys(doc, file);
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
        throw Error(Status::unsupported_architecture, file + ": combines several pooling modes (" + list + "); only one of mean, cls, max, lasttoken is supported");
    }
    if (enabled[0] == "mean") return Pooling::mean;
    if (enabled[0] == "cls") return Pooling::cls;
    if (enabled[0] == "max") return Pooling::max;
    if (enabled[0] == "lasttoken") return Pooling::last_token;
    throw Error(Status::unsupported_architecture, file + ": pooling mode '" + enabled[0] + "' is not supported (only mean, cls, max, lasttoken)");
}

// --- config.json ---------------------------------------------------------------------------------

void read_model_config(const HfFiles& files, ModelConfig* c, std::string* name_or_path) {
    const std::string file = files.display("config.json");
    if (!files.has("config.json"))
        throw Error(Status::file_not_found, "no " + file + " in '" + files.path("") + "' (expected a Hugging Face model directory)");
    const json doc = files.read_json("config.json");
    const JsonKeys k(doc, file);
    const std::string model_type = k.string("model_type");
    const models::Family& family = models::family_for(model_type);
    c->architecture = family.name;
    c->layout_revision = family.layout_revision;
    family.read_hf_config(k, *c);
    *name_or_path = k.string("_name_or_path", std::string());
}

// --- weights -------------------------------------------------------------------------------------

TensorSet read_sharded(const HfFiles& files, const std::string& index_name, TensorSet (*read_shard)(const std::string&),
                       std::string* description) {
    const json doc = files.read_json(index_name);
    const std::string file = files.display(index_name);
    const JsonKeys k(doc, file);
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

// prompts and default_prompt_name of config_sentence_transformers.json (sentence-transformers >= 2.4).
void read_prompts(const HfFiles& root, ModelConfig* c, const NoteFn& note) {
    const std::optional<json> doc = root.read_json_if_present("config_sentence_transformers.json");
    if (!doc) return;
    const JsonKeys keys(*doc, root.display("config_sentence_transformers.json"));
    if (keys.has("prompts")) {
        const json& prompts = keys.raw("prompts");
        if (!prompts.is_object()) keys.wrong("prompts", "an object of name -> prompt text");
        for (const auto& [name, text] : prompts.items()) {
            if (!text.is_string()) keys.wrong("prompts", ("an object of strings ('" + name + "' is not)").c_str());
            c->prompts[name] = text.get<std::string>();
        }
    }
    if (keys.has("default_prompt_name")) {
        c->default_prompt_name = keys.string("default_prompt_name");
        if (c->prompts.count(c->default_prompt_name) == 0)
            throw Error(Status::invalid_config, keys.file() + ": default_prompt_name '" + c->default_prompt_name +
                                                    "' is not one of the prompts");
    }
    if (note && !c->prompts.empty()) {
        std::string names;
        for (const auto& [name, text] : c->prompts) names += (names.empty() ? "" : ", ") + name;
        note(keys.file() + ": prompts " + names +
             (c->default_prompt_name.empty() ? "" : " (default " + c->default_prompt_name + ")"));
    }
}

}  // namespace

HfCheckpoint read_hf_checkpoint(const std::string& dir, const NoteFn& note) {
    if (!is_directory(dir)) throw Error(Status::file_not_found, "'" + dir + "' is not a directory");
    const HfFiles root(dir, "");
    const Modules modules = read_modules(root);
    const HfFiles files(dir, modules.transformer_path);

    HfCheckpoint out;
    out.model_dir = files.path("");
    out.root_dir = dir;
    ModelConfig& c = out.config;
    std::string name_or_path;
    read_model_config(files, &c, &name_or_path);

    HfTokenizer tokenizer = read_hf_tokenizer(files, c.architecture, note);
    c.tokenizer = std::move(tokenizer.config);
    const size_t vocab = make_pieces_model(c.tokenizer)->vocab_size();
    const std::string vocab_file = c.tokenizer.type == "wordpiece" ? "vocab.txt" : "the tokenizer";
    if (c.tokenizer.type == "wordpiece" && static_cast<int>(vocab) != c.vocab_size)
        throw Error(Status::invalid_checkpoint, files.display(vocab_file) + " has " + std::to_string(vocab) + " tokens but " +
                                                    files.display("config.json") + " vocab_size is " + std::to_string(c.vocab_size));
    if (static_cast<int64_t>(vocab) > c.vocab_size)
        throw Error(Status::invalid_checkpoint, vocab_file + " has " + std::to_string(vocab) + " tokens, more than the " +
                                                    std::to_string(c.vocab_size) + " embedding rows of " + files.display("config.json"));

    if (modules.present) {
        c.pooling = read_pooling(root, modules.pooling_path, c.hidden_size);
        c.normalize = modules.normalize;
        for (const std::string& path : modules.dense_paths) {
            c.dense.push_back(read_dense_config(root, path, c.output_dimension()));
            out.dense_paths.push_back(path);
        }
        if (!c.dense.empty()) c.layout_revision = std::max(c.layout_revision, models::kDenseModulesRevision);
    } else {
        c.pooling = Pooling::mean;
        c.normalize = false;
        if (note) note("no modules.json: a plain Hugging Face checkpoint, so mean pooling without normalization");
    }

    // max_seq_length: sentence_bert_config.json, else the tokenizer's model_max_length, capped at the
    // position table, else the position table.
    const std::optional<json> sbert = files.read_json_if_present("sentence_bert_config.json");
    const int max_positions = models::family_for(c.architecture).spec(c).max_tokens(c);
    if (sbert && JsonKeys(*sbert, files.display("sentence_bert_config.json")).has("max_seq_length")) {
        const JsonKeys s(*sbert, files.display("sentence_bert_config.json"));
        c.max_seq_length = s.integer("max_seq_length");
        if (c.max_seq_length > max_positions) {
            if (note) note(s.file() + ": max_seq_length " + std::to_string(c.max_seq_length) + " capped at the " + std::to_string(max_positions) + " tokens the positions allow");
            c.max_seq_length = max_positions;
        }
        if (s.boolean("do_lower_case", false) && c.tokenizer.type == "wordpiece" && !c.tokenizer.wordpiece.lowercase) {
            c.tokenizer.wordpiece.lowercase = true;
            if (note) note(s.file() + ": do_lower_case lowercases the input before the tokenizer");
        }
    } else if (tokenizer.model_max_length && std::isfinite(*tokenizer.model_max_length) && *tokenizer.model_max_length >= 2) {
        c.max_seq_length = static_cast<int>(std::min<double>(*tokenizer.model_max_length, max_positions));
    } else {
        c.max_seq_length = max_positions;
    }

    read_prompts(root, &c, note);

    std::error_code ignored;
    const std::filesystem::path resolved = std::filesystem::weakly_canonical(dir, ignored);
    c.source = base_name(resolved.empty() ? dir : resolved.string());
    if (!name_or_path.empty()) c.source += " (" + name_or_path + ")";
    c.weight_dtype = "f32";
    c.default_temperature = 1.0f;
    return out;
}

HfWeights read_hf_weights(const std::string& model_dir) {
    const HfFiles files(model_dir, "");
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
