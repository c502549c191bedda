// Helpers for the converter tests: temporary directories, a safetensors writer, a tiny fake BERT
// checkpoint directory generated from C++, and a direct reader of the model file it converts to.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zip.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "runtime/model_file/format.h"
#include "runtime/models/family.h"

namespace edgembed::convert::testing {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "edgembed-convert-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::vector<std::string> list_dir(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
}

template <class T>
std::string raw_bytes(const std::vector<T>& values) {
    return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

inline uint16_t f32_to_bf16_truncate(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return static_cast<uint16_t>(bits >> 16);
}

// Exact for the values the tests use (multiples of 1/1024 below 2).
inline uint16_t f32_to_f16_exact(float f) {
    if (f == 0.0f) return std::signbit(f) ? 0x8000 : 0;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
    if (exponent <= 0 || exponent >= 31 || (bits & 0x1fffu)) throw std::runtime_error("value not exact in f16");
    return static_cast<uint16_t>(sign | (exponent << 10) | ((bits >> 13) & 0x3ffu));
}

// --- safetensors ---------------------------------------------------------------------------------

struct StTensor {
    std::string name;
    std::string dtype;  // "F32", "F16", "BF16", "I64", ...
    std::vector<int64_t> shape;
    std::string bytes;
};

// A file with exactly this header text and data section.
inline std::string safetensors_raw(const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + data;
}

inline std::string safetensors_bytes(const std::vector<StTensor>& tensors) {
    json header = {{"__metadata__", {{"format", "pt"}}}};
    std::string data;
    for (const StTensor& t : tensors) {
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
        data += t.bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // as the reference writer pads
    return safetensors_raw(text, data);
}

// --- a tiny BERT checkpoint directory ------------------------------------------------------------

struct TinyModel {
    // Dimensions (hidden 8, 2 layers, 2 heads, ffn 16, 16 positions, vocab 24).
    int hidden = 8, layers = 2, heads = 2, ffn = 16, positions = 16, type_vocab = 2;

    std::string prefix;                  // prepended to every tensor name ("bert.", "0.auto_model.")
    bool old_layer_norm_names = false;   // LayerNorm.gamma / beta
    std::string dtype = "F32";           // F32, F16, BF16
    bool sentence_transformers = true;   // modules.json, 1_Pooling, 2_Normalize, sentence_bert_config.json
    bool normalize = true;
    json pooling = {{"word_embedding_dimension", 8}, {"pooling_mode_mean_tokens", true}, {"pooling_mode_cls_token", false},
                    {"pooling_mode_max_tokens", false}, {"pooling_mode_mean_sqrt_len_tokens", false}};
    int sbert_max_seq_length = 12;
    bool tokenizer_json = false;
    json config_overrides = json::object();
    int shards = 0;                      // 0: model.safetensors; n: model.safetensors.index.json + n files
    std::vector<StTensor> extra_tensors;
    // Edits the tensors just before they are written (drop one, reshape one, poison a value).
    std::function<void(std::vector<StTensor>&)> edit;

    std::vector<std::string> vocab() const {
        std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "the", "a", "##s",
                                      "##ing", "edge", "embed", ",", ".", "!", "?", "cat", "dog", "run", "##ed", "é", "中", "x"};
        return v;
    }

    json config() const {
        json c = {{"_name_or_path", "tests/tiny-bert"}, {"architectures", {"BertModel"}}, {"model_type", "bert"},
                  {"hidden_size", hidden}, {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                  {"intermediate_size", ffn}, {"max_position_embeddings", positions}, {"type_vocab_size", type_vocab},
                  {"vocab_size", static_cast<int>(vocab().size())}, {"layer_norm_eps", 1e-12}, {"hidden_act", "gelu"},
                  {"position_embedding_type", "absolute"}};
        c.update(config_overrides);
        return c;
    }

    ModelConfig model_config() const {
        ModelConfig c;
        c.hidden_size = hidden;
        c.num_layers = layers;
        c.num_heads = heads;
        c.intermediate_size = ffn;
        c.max_position_embeddings = positions;
        c.type_vocab_size = type_vocab;
        c.vocab_size = static_cast<int>(vocab().size());
        return c;
    }

    // Canonical name -> values, deterministic; each value exact in f16 and bf16 (k / 64, |k| <= 64).
    std::map<std::string, std::vector<float>> weights() const {
        std::mt19937 rng(1234);
        std::uniform_int_distribution<int> k(-64, 64);
        std::map<std::string, std::vector<float>> out;
        for (const models::TensorSpec& spec : models::tensor_specs(model_config())) {
            size_t n = 1;
            for (int64_t d : spec.shape) n *= static_cast<size_t>(d);
            std::vector<float> v(n);
            for (float& x : v) x = static_cast<float>(k(rng)) / 64.0f;
            out[spec.name] = std::move(v);
        }
        return out;
    }

    std::vector<StTensor> tensors() const {
        const auto w = weights();
        std::vector<StTensor> out;
        for (const models::TensorSpec& spec : models::tensor_specs(model_config())) {
            std::string name = spec.name;
            if (old_layer_norm_names && name.find("LayerNorm.") != std::string::npos) {
                if (name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0) name.replace(name.size() - 6, 6, "gamma");
                else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) name.replace(name.size() - 4, 4, "beta");
            }
            const std::vector<float>& v = w.at(spec.name);
            std::string bytes;
            if (dtype == "F32") {
                bytes = raw_bytes(v);
            } else {
                std::vector<uint16_t> h;
                for (float x : v) h.push_back(dtype == "F16" ? f32_to_f16_exact(x) : f32_to_bf16_truncate(x));
                bytes = raw_bytes(h);
            }
            out.push_back({prefix + name, dtype, spec.shape, bytes});
        }
        for (const StTensor& t : extra_tensors) out.push_back(t);
        if (edit) edit(out);
        return out;
    }

    void write(const TempDir& dir) const { write(dir.path().string()); }

    void write(const std::string& dir) const {
        write_file(dir + "/config.json", config().dump(2));
        std::string vocab_text;
        for (const std::string& t : vocab()) vocab_text += t + "\n";
        write_file(dir + "/vocab.txt", vocab_text);
        write_file(dir + "/tokenizer_config.json",
                   json{{"do_lower_case", true}, {"model_max_length", 512}, {"tokenizer_class", "BertTokenizer"}}.dump());
        write_file(dir + "/special_tokens_map.json",
                   json{{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"},
                        {"mask_token", "[MASK]"}}.dump());
        if (tokenizer_json) {
            json vocab_map = json::object();
            for (size_t i = 0; i < vocab().size(); ++i) vocab_map[vocab()[i]] = i;
            json added = json::array();
            for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
                added.push_back({{"id", vocab_map[t]}, {"content", t}, {"special", true}, {"normalized", false}});
            added.push_back({{"id", vocab_map["edge"]}, {"content", "edge"}, {"special", false}, {"normalized", true}});
            write_file(dir + "/tokenizer.json",
                       json{{"version", "1.0"},
                            {"added_tokens", added},
                            {"normalizer", {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", false},
                                            {"strip_accents", nullptr}, {"lowercase", false}}},
                            {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
                            {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                                       {"max_input_chars_per_word", 50}, {"vocab", vocab_map}}}}
                           .dump());
        }
        if (sentence_transformers) {
            json modules = json::array({{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
                                        {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}}});
            if (normalize)
                modules.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}});
            write_file(dir + "/modules.json", modules.dump(2));
            write_file(dir + "/1_Pooling/config.json", pooling.dump(2));
            write_file(dir + "/sentence_bert_config.json", json{{"max_seq_length", sbert_max_seq_length}, {"do_lower_case", false}}.dump());
        }
        const std::vector<StTensor> all = tensors();
        if (shards == 0) {
            write_file(dir + "/model.safetensors", safetensors_bytes(all));
            return;
        }
        json weight_map = json::object();
        for (int s = 0; s < shards; ++s) {
            const std::string name = "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors";
            std::vector<StTensor> part;
            for (size_t i = s; i < all.size(); i += shards) {
                part.push_back(all[i]);
                weight_map[all[i].name] = name;
            }
            write_file(dir + "/" + name, safetensors_bytes(part));
        }
        write_file(dir + "/model.safetensors.index.json", json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump());
    }
};

// --- PyTorch zip checkpoints --------------------------------------------------------------------

// Writes pickle opcodes by name (the subset torch.save uses, plus whatever a test needs).
class PickleBuilder {
public:
    PickleBuilder& op(char opcode) { out_ += opcode; return *this; }
    PickleBuilder& raw(const std::string& bytes) { out_ += bytes; return *this; }
    PickleBuilder& proto(int version) { out_ += '\x80'; out_ += static_cast<char>(version); return *this; }
    PickleBuilder& global(const std::string& module, const std::string& name) { out_ += 'c' + module + '\n' + name + '\n'; return *this; }
    PickleBuilder& str(const std::string& s) {
        out_ += 'X';
        le32(static_cast<uint32_t>(s.size()));
        out_ += s;
        return *this;
    }
    PickleBuilder& integer(int32_t v) { out_ += 'J'; le32(static_cast<uint32_t>(v)); return *this; }
    PickleBuilder& int_tuple(const std::vector<int64_t>& values) {
        mark();
        for (int64_t v : values) integer(static_cast<int32_t>(v));
        return op('t');
    }
    PickleBuilder& mark() { return op('('); }
    PickleBuilder& put(uint8_t index) { out_ += 'q'; out_ += static_cast<char>(index); return *this; }
    PickleBuilder& get(uint8_t index) { out_ += 'h'; out_ += static_cast<char>(index); return *this; }
    PickleBuilder& stop() { return op('.'); }
    std::string bytes() const { return out_; }

private:
    void le32(uint32_t v) {
        for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    std::string out_;
};

// One tensor record of a state dict pickle, as torch.save writes it.
struct PickledRecord {
    std::string name;
    std::string storage_type;  // "FloatStorage", "HalfStorage", ...
    std::string key;
    int64_t numel;
    int64_t offset;
    std::vector<int64_t> shape, stride;
};

// OrderedDict([(name, _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset,
// shape, stride, False, OrderedDict())), ...]) with the _metadata BUILD torch adds.
inline std::string state_dict_pickle(const std::vector<PickledRecord>& records) {
    PickleBuilder p;
    p.proto(2).global("collections", "OrderedDict").put(0).op(')').op('R').put(1).mark();
    for (const PickledRecord& r : records) {
        p.str(r.name).global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().str("storage").global("torch", r.storage_type).str(r.key).str("cpu").integer(static_cast<int32_t>(r.numel)).op('t').op('Q');
        p.integer(static_cast<int32_t>(r.offset)).int_tuple(r.shape).int_tuple(r.stride).op('\x89');
        p.get(0).op(')').op('R').op('t').op('R');
    }
    p.op('u');
    p.op('}').str("_metadata").get(0).op(')').op('R').op('s').op('b');  // state {'_metadata': OrderedDict()}
    return p.stop().bytes();
}

// Writes "<archive>/data.pkl", "<archive>/byteorder" and "<archive>/data/<key>" for every storage, all
// stored uncompressed like torch.save does.
inline void write_torch_zip(const std::string& path, const std::string& pickle,
                            const std::map<std::string, std::string>& storages, const std::string& archive = "archive") {
    int error = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (!z) throw std::runtime_error("zip_open failed");
    std::vector<std::pair<std::string, std::string>> entries = {{archive + "/data.pkl", pickle}, {archive + "/byteorder", "little"}};
    for (const auto& [key, bytes] : storages) entries.emplace_back(archive + "/data/" + key, bytes);
    for (const auto& [name, bytes] : entries) {
        zip_source_t* source = zip_source_buffer(z, bytes.data(), bytes.size(), 0);  // entries outlive zip_close
        const zip_int64_t index = zip_file_add(z, name.c_str(), source, ZIP_FL_OVERWRITE);
        if (index < 0) throw std::runtime_error("zip_file_add failed");
        zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
    if (zip_close(z) != 0) throw std::runtime_error("zip_close failed");
}

// --- the converted model file, read directly (header, metadata JSON, tensor bytes) ---------------

struct ModelFileContents {
    json config;
    std::map<std::string, std::vector<int64_t>> shapes;
    std::map<std::string, std::string> dtypes;
    std::map<std::string, std::vector<float>> f32;  // f32 tensors' values
    std::vector<std::string> order;
};

inline ModelFileContents read_model_file(const std::string& path) {
    const std::string bytes = read_file(path);
    model_file::FileHeader header;
    if (bytes.size() < sizeof header) throw std::runtime_error("model file too small");
    std::memcpy(&header, bytes.data(), sizeof header);
    if (std::memcmp(header.magic, model_file::kMagic, 8) != 0) throw std::runtime_error("bad magic");
    if (header.data_offset + header.data_size != bytes.size()) throw std::runtime_error("bad data size");
    const json meta = json::parse(bytes.substr(header.metadata_offset, header.metadata_size));
    ModelFileContents out;
    out.config = meta.at("config");
    for (const json& t : meta.at("tensors")) {
        const std::string name = t.at("name");
        out.order.push_back(name);
        out.shapes[name] = t.at("shape").get<std::vector<int64_t>>();
        out.dtypes[name] = t.at("dtype");
        const uint64_t offset = header.data_offset + t.at("offset").get<uint64_t>();
        const uint64_t nbytes = t.at("nbytes");
        if (offset % model_file::kTensorAlignment) throw std::runtime_error("misaligned tensor " + name);
        if (out.dtypes[name] == "f32") {
            std::vector<float> v(nbytes / 4);
            std::memcpy(v.data(), bytes.data() + offset, nbytes);
            out.f32[name] = std::move(v);
        }
    }
    return out;
}

}  // namespace edgembed::convert::testing
