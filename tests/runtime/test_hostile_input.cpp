// Hostile input end to end, each refusal checked by status and message:
//   model files  truncated at every 4 KB boundary, single bit flips anywhere (header fields, checksum),
//                forged metadata with a valid checksum, shapes and dtypes that disagree with the config,
//                a config claiming a huge vocabulary, missing int8 scales (tiny models, and the converted
//                int8 model when present), NaN weights (loaded: the loader does not scan weights; the
//                embed call refuses the non-finite vectors, also through the CLI: tests/python/test_hostile_input.py)
//   texts        invalid UTF-8 (status, text index, byte), NUL and control characters, empty and
//                whitespace-only texts, pathological long texts (time bounded; the combining-mark run was
//                quadratic before the normalizer sorted runs)
// The tiny models come from tests/runtime/tiny_model_file.h; nothing here needs the converted models
// except the test that damages the real int8 file (skipped without it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/context.h"
#include "runtime/model.h"
#include "runtime/model_file/checksum.h"
#include "runtime/model_file/format.h"
#include "runtime/model_file/reader.h"
#include "tests/runtime/tiny_model_file.h"

namespace edgembed {
namespace {

using model_file::FileHeader;
using model_file::kHeaderSize;
using testing::TinyModelSpec;
using testing::TinyTensor;
using testing::tiny_model_file;

using Bytes = std::vector<uint8_t>;

// Runs f, which must throw Error with `status` and a message containing `needle`.
void expect_error(const std::function<void()>& f, Status status, const std::string& needle, const std::string& what = "") {
    try {
        f();
        ADD_FAILURE() << what << ": no error, expected " << status_name(status) << " containing '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), status) << what << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << what << ": '" << e.what() << "' lacks '" << needle << "'";
    }
}

void load(const Bytes& b) { Model::load_from_memory(b.data(), b.size()); }

FileHeader header_of(const Bytes& b) {
    FileHeader h;
    std::memcpy(&h, b.data(), sizeof h);
    return h;
}

void fix_checksum(Bytes& b) {
    const uint64_t checksum = model_file::header_checksum(b.data(), b.size());
    std::memcpy(b.data() + offsetof(FileHeader, checksum), &checksum, sizeof checksum);
}

// Replaces the metadata JSON text (space-padded to the old size, which it must not exceed) and fixes the
// checksum.
Bytes with_metadata_text(Bytes b, std::string text) {
    FileHeader h = header_of(b);
    if (text.size() > h.data_offset - kHeaderSize) throw std::runtime_error("forged metadata does not fit");
    text.resize(h.data_offset - kHeaderSize, ' ');
    h.metadata_size = text.size();
    std::memcpy(b.data(), &h, sizeof h);
    std::memcpy(b.data() + kHeaderSize, text.data(), text.size());
    fix_checksum(b);
    return b;
}

// Edits the metadata as JSON, then as with_metadata_text.
Bytes with_metadata(Bytes b, const std::function<void(nlohmann::json&)>& edit) {
    const FileHeader h = header_of(b);
    nlohmann::json metadata = nlohmann::json::parse(b.begin() + kHeaderSize, b.begin() + kHeaderSize + h.metadata_size);
    metadata["config"]["source"] = "";  // room for what the edit adds
    edit(metadata);
    return with_metadata_text(std::move(b), metadata.dump());
}

// A small model with a few hundred KB of weights: 2 layers, hidden 64.
TinyModelSpec small_spec() {
    TinyModelSpec s;
    s.hidden = 64;
    s.heads = 4;
    s.ffn = 128;
    s.layers = 2;
    s.positions = s.max_seq_length = 128;
    return s;
}

// --- model files ---------------------------------------------------------------------------------

TEST(HostileModelFile, TinyModelsLoadAndEmbed) {
    for (const char* weights : {"f32", "f16", "int8"}) {
        TinyModelSpec spec = small_spec();
        spec.weights = weights;
        const Bytes b = tiny_model_file(spec);
        Context context(Model::load_from_memory(b.data(), b.size()));
        std::vector<float> v(64);
        context.embed({"the cat"}, {}, v.data());
        for (float x : v) ASSERT_TRUE(std::isfinite(x)) << weights;
    }
}

// Query, key and value run as one fused layer when their weights share a dtype, else apart: a layer
// whose key alone is f16 (with the same values: the tiny weights are exact in f16) embeds as the f32 one.
TEST(HostileModelFile, QkvOfMixedDtypesRunApart) {
    const TinyModelSpec spec = small_spec();
    const Bytes fused = tiny_model_file(spec);
    const Bytes apart = tiny_model_file(spec, [](TinyTensor& t) {
        if (t.name != "encoder.layer.1.attention.self.key.weight") return;
        std::vector<float> v(t.bytes.size() / 4);
        std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
        std::vector<uint16_t> h(v.size());
        for (size_t i = 0; i < v.size(); ++i) h[i] = testing::tiny_detail::f16_bits(v[i]);
        t.dtype = DType::f16;
        t.bytes.assign(reinterpret_cast<const uint8_t*>(h.data()), reinterpret_cast<const uint8_t*>(h.data() + h.size()));
    });
    std::vector<float> a(64), b(64);
    Context(Model::load_from_memory(fused.data(), fused.size())).embed({"the cat embeds the dog"}, {}, a.data());
    Context(Model::load_from_memory(apart.data(), apart.size())).embed({"the cat embeds the dog"}, {}, b.data());
    double dot = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
    EXPECT_GT(dot, 1.0 - 1e-5);  // unit vectors; the GEMMs differ only in shape (rounding order)
}

TEST(HostileModelFile, TruncatedAtEvery4KBoundary) {
    const Bytes b = tiny_model_file(small_spec());
    ASSERT_GT(b.size(), 40u * 4096) << "the model should span many 4 KB pages";
    for (size_t cut = 0; cut < b.size(); cut += 4096) {
        if (cut < kHeaderSize) {
            expect_error([&] { Model::load_from_memory(b.data(), cut); }, Status::corrupt_model_file,
                         "less than the 64-byte header", "cut at " + std::to_string(cut));
        } else {
            expect_error([&] { Model::load_from_memory(b.data(), cut); }, Status::corrupt_model_file,
                         "(truncated or padded file)", "cut at " + std::to_string(cut));
        }
    }
    // One byte short, one byte long, and the same through a file on disk (mmap).
    expect_error([&] { Model::load_from_memory(b.data(), b.size() - 1); }, Status::corrupt_model_file, "truncated");
    Bytes longer = b;
    longer.push_back(0);
    expect_error([&] { load(longer); }, Status::corrupt_model_file, "padded file");
    const std::string path =
        (std::filesystem::temp_directory_path() / ("edgembed_truncated_" + std::to_string(::getpid()))).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), 12345);
    expect_error([&] { Model::load(path); }, Status::corrupt_model_file, "truncated", "file on disk");
    std::filesystem::remove(path);
}

TEST(HostileModelFile, EveryHeaderBitFlipIsRefused) {
    const Bytes good = tiny_model_file(TinyModelSpec{});
    for (size_t bit = 0; bit < kHeaderSize * 8; ++bit) {
        Bytes b = good;
        b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        try {
            load(b);
            ADD_FAILURE() << "header bit " << bit << " flipped and the file still loads";
        } catch (const Error& e) {
            const size_t byte = bit / 8;
            const bool version = byte >= offsetof(FileHeader, format_version) && byte < offsetof(FileHeader, header_size);
            EXPECT_EQ(e.status(), version ? Status::unsupported_version : Status::corrupt_model_file)
                << "bit " << bit << ": " << e.what();
        }
    }
}

TEST(HostileModelFile, BitFlipsAfterTheHeaderFailTheChecksum) {
    const Bytes good = tiny_model_file(TinyModelSpec{});
    const FileHeader h = header_of(good);
    // Every byte of the metadata and its padding, then every 7th byte of the tensor data.
    std::vector<size_t> positions;
    for (size_t i = kHeaderSize; i < h.data_offset; ++i) positions.push_back(i);
    for (size_t i = h.data_offset; i < good.size(); i += 7) positions.push_back(i);
    positions.push_back(good.size() - 1);
    for (size_t i : positions) {
        Bytes b = good;
        b[i] ^= static_cast<uint8_t>(1u << (i % 8));
        expect_error([&] { load(b); }, Status::corrupt_model_file, "checksum mismatch (the file is damaged)",
                     "byte " + std::to_string(i));
    }
}

// A deliberately forged file carries a valid checksum: every flipped metadata bit must then load or be
// refused with an Error, never crash or read out of bounds.
TEST(HostileModelFile, ForgedMetadataBitFlipsNeverCrash) {
    const Bytes good = tiny_model_file(TinyModelSpec{});
    const FileHeader h = header_of(good);
    int refused = 0;
    for (size_t i = kHeaderSize; i < kHeaderSize + h.metadata_size; i += 3) {  // every 3rd byte, bit i % 8
        Bytes b = good;
        b[i] ^= static_cast<uint8_t>(1u << (i % 8));
        fix_checksum(b);
        try {
            Context context(Model::load_from_memory(b.data(), b.size()));
            std::vector<float> v(static_cast<size_t>(context.model().dimension()));
            context.embed({"the cat"}, {}, v.data());
        } catch (const Error&) {
            ++refused;
        }
    }
    EXPECT_GT(refused, 0);
}

TEST(HostileModelFile, TensorTablePointingOutOfBounds) {
    const Bytes good = tiny_model_file(TinyModelSpec{});
    const uint64_t data_size = header_of(good).data_size;
    auto forge = [&](uint64_t offset) {
        return with_metadata(good, [&](nlohmann::json& m) {
            for (auto& t : m["tensors"])
                if (t["name"] == "embeddings.LayerNorm.bias") t["offset"] = offset;
        });
    };
    const uint64_t end = model_file::align_up(data_size, 64);
    for (uint64_t offset : {end, end + 64, uint64_t{1} << 40, ~uint64_t{63} /* offset + nbytes wraps around */}) {
        expect_error([&] { load(forge(offset)); }, Status::corrupt_model_file,
                     "tensor 'embeddings.LayerNorm.bias' lies outside the file", "offset " + std::to_string(offset));
    }
}

TEST(HostileModelFile, ShapesThatDisagreeWithTheConfig) {
    const TinyModelSpec spec;
    // One more row in the word embeddings (bytes to match, so only the config check can catch it).
    const Bytes rows = tiny_model_file(spec, [](TinyTensor& t) {
        if (t.name == "embeddings.word_embeddings.weight") {
            t.shape[0] += 1;
            t.bytes.resize(t.bytes.size() + static_cast<size_t>(t.shape[1]) * 4);
        }
    });
    expect_error([&] { load(rows); }, Status::corrupt_model_file,
                 "tensor 'embeddings.word_embeddings.weight' has the wrong shape for the model config");
    // A transposed linear weight: same element count, wrong shape.
    const Bytes transposed = tiny_model_file(spec, [](TinyTensor& t) {
        if (t.name == "encoder.layer.0.intermediate.dense.weight") std::swap(t.shape[0], t.shape[1]);
    });
    expect_error([&] { load(transposed); }, Status::corrupt_model_file,
                 "tensor 'encoder.layer.0.intermediate.dense.weight' has the wrong shape for the model config");
    // The config says two layers, the file holds one.
    const Bytes layers = tiny_model_file(spec, {}, [](ModelConfig& c) { c.num_layers = 2; });
    expect_error([&] { load(layers); }, Status::corrupt_model_file, "model file lacks tensor 'encoder.layer.1.");
    // A rank-3 bias.
    const Bytes rank = tiny_model_file(spec, [](TinyTensor& t) {
        if (t.name == "embeddings.LayerNorm.bias") t.shape = {1, 1, t.shape[0]};
    });
    expect_error([&] { load(rank); }, Status::corrupt_model_file, "tensor 'embeddings.LayerNorm.bias' has the wrong shape");
}

TEST(HostileModelFile, WrongDtypes) {
    const TinyModelSpec spec;
    struct Case {
        const char* tensor;
        DType dtype;
        const char* message;
    };
    for (const Case& c : {Case{"embeddings.LayerNorm.weight", DType::f16, "has dtype f16, which it cannot have"},
                          Case{"encoder.layer.0.output.dense.bias", DType::qc8, "has dtype qc8, which it cannot have"},
                          Case{"embeddings.word_embeddings.weight", DType::qc8, "has dtype qc8, which it cannot have"},
                          Case{"encoder.layer.0.attention.self.key.weight", DType::bf16,
                               "has dtype bf16, which it cannot have"}}) {
        const Bytes b = tiny_model_file(spec, [&](TinyTensor& t) {
            if (t.name != c.tensor) return;
            t.dtype = c.dtype;
            size_t n = 1;
            for (int64_t d : t.shape) n *= static_cast<size_t>(d);
            t.bytes.assign(n * dtype_size(c.dtype), 0);
        });
        expect_error([&] { load(b); }, Status::corrupt_model_file, std::string("tensor '") + c.tensor + "' " + c.message,
                     c.tensor);
    }
}

TEST(HostileModelFile, ConfigClaimingAHugeVocabulary) {
    const TinyModelSpec spec;
    const size_t vocab = spec.vocab.size();
    expect_error([&] { load(tiny_model_file(spec, {}, [](ModelConfig& c) { c.vocab_size = 1 << 24; })); },
                 Status::invalid_config, "wordpiece vocab has " + std::to_string(vocab) + " entries, vocab_size is 16777216");
    expect_error([&] { load(tiny_model_file(spec, {}, [](ModelConfig& c) { c.vocab_size = 2147483647; })); },
                 Status::invalid_config, "vocab_size out of range");
    // Consistent claims (the vocab list and the table shape both huge) cannot fit in a small file: the
    // table then points past the end.
    const Bytes forged = with_metadata(tiny_model_file(spec), [](nlohmann::json& m) {
        for (auto& t : m["tensors"]) {
            if (t["name"] != "embeddings.word_embeddings.weight") continue;
            t["shape"] = {1 << 24, 8};
            t["nbytes"] = (uint64_t{1} << 24) * 8 * 4;
        }
    });
    expect_error([&] { load(forged); }, Status::corrupt_model_file,
                 "tensor 'embeddings.word_embeddings.weight' has a bad shape");
    // Other dimensions beyond the limits.
    expect_error([&] { load(tiny_model_file(spec, {}, [](ModelConfig& c) { c.hidden_size = 1 << 30; })); },
                 Status::invalid_config, "hidden_size out of range");
    expect_error([&] { load(tiny_model_file(spec, {}, [](ModelConfig& c) { c.max_position_embeddings = -1; })); },
                 Status::invalid_config, "max_position_embeddings out of range");
}

// The vocabulary is parsed apart from the rest of the metadata (runtime/model_file/metadata_json.h): it
// must still be exactly an array of strings, and a repeated key still means the last one.
TEST(HostileModelFile, MalformedVocabulary) {
    const TinyModelSpec spec;
    const Bytes good = tiny_model_file(spec);
    for (const nlohmann::json& bad : {nlohmann::json::array({"a", 1}), nlohmann::json::array({"a", nullptr}),
                                      nlohmann::json::array({"a", nlohmann::json::array({"b"})}),
                                      nlohmann::json::array({"a", nlohmann::json::object({{"b", "c"}})})}) {
        const Bytes forged = with_metadata(good, [&](nlohmann::json& m) { m["config"]["tokenizer"]["wordpiece"]["vocab"] = bad; });
        expect_error([&] { load(forged); }, Status::corrupt_model_file, "wordpiece.vocab must be an array of strings");
    }
    const Bytes not_an_array = with_metadata(good, [](nlohmann::json& m) { m["config"]["tokenizer"]["wordpiece"]["vocab"] = "a b"; });
    expect_error([&] { load(not_an_array); }, Status::invalid_config, "vocab");

    // A repeated key: the last vocabulary counts, as everywhere else in the metadata.
    const Bytes roomy = with_metadata(good, [](nlohmann::json&) {});
    std::string text(roomy.begin() + kHeaderSize, roomy.begin() + kHeaderSize + header_of(roomy).metadata_size);
    const size_t at = text.find("\"vocab\":[");
    ASSERT_NE(at, std::string::npos);
    text.insert(at, "\"vocab\":[\"x\"],");
    while (!text.empty() && text.back() == ' ') text.pop_back();
    const Bytes repeated = with_metadata_text(roomy, text);
    const auto model = Model::load_from_memory(repeated.data(), repeated.size());
    EXPECT_EQ(model->config().tokenizer.wordpiece.vocab, spec.vocab);
}

TEST(HostileModelFile, MissingOrMalformedInt8Scales) {
    TinyModelSpec spec;
    spec.weights = "int8";
    const std::string weight = "encoder.layer.0.attention.self.query.weight";
    const Bytes missing = tiny_model_file(spec, [&](TinyTensor& t) { t.drop = t.name == weight + ".scales"; });
    expect_error([&] { load(missing); }, Status::corrupt_model_file, "model file lacks tensor '" + weight + ".scales'");
    const Bytes short_scales = tiny_model_file(spec, [&](TinyTensor& t) {
        if (t.name == weight + ".scales") {
            t.shape[0] -= 1;
            t.bytes.resize(t.bytes.size() - 4);
        }
    });
    expect_error([&] { load(short_scales); }, Status::corrupt_model_file,
                 "tensor '" + weight + ".scales' must be f32 with one scale per output channel");
    const Bytes f16_scales = tiny_model_file(spec, [&](TinyTensor& t) {
        if (t.name == weight + ".scales") {
            t.dtype = DType::f16;
            t.bytes.resize(t.bytes.size() / 2);
        }
    });
    expect_error([&] { load(f16_scales); }, Status::corrupt_model_file, "must be f32 with one scale per output channel");
}

// Outlier channels (quant/linear.h) load and run: an int8 model whose FFN output projections keep input
// channels in f32 embeds within int8's bound of the f32 model; half of the pair, or on f32 weights, is refused.
TEST(HostileModelFile, Int8OutlierChannels) {
    TinyModelSpec spec = small_spec();
    const Bytes f32 = tiny_model_file(spec);
    spec.weights = "int8";
    spec.outlier_channels = 4;
    const Bytes outliers = tiny_model_file(spec);
    std::vector<float> a(64), b(64);
    Context(Model::load_from_memory(f32.data(), f32.size())).embed({"the cat embeds the dog"}, {}, a.data());
    Context(Model::load_from_memory(outliers.data(), outliers.size())).embed({"the cat embeds the dog"}, {}, b.data());
    double dot = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
    EXPECT_GT(dot, 0.98);  // unit vectors; README "Fidelity": int8 min cosine >= 0.98
    const std::string weight = "encoder.layer.1.output.dense.weight";
    const Bytes half = tiny_model_file(spec, [&](TinyTensor& t) { t.drop = t.name == weight + ".outlier_columns"; });
    expect_error([&] { load(half); }, Status::corrupt_model_file, "model file lacks tensor '" + weight + ".outlier_columns'");
    const Bytes outside = tiny_model_file(spec, [&](TinyTensor& t) {
        if (t.name == weight + ".outlier_channels") reinterpret_cast<int32_t*>(t.bytes.data())[0] = spec.ffn;
    });
    expect_error([&] { load(outside); }, Status::corrupt_model_file, "outlier channels must be distinct inputs");
    const Bytes on_f16 = tiny_model_file(spec, [&](TinyTensor& t) {
        if (t.name != weight) return;
        std::vector<uint16_t> h(t.bytes.size(), 0);
        t.dtype = DType::f16;
        t.bytes.assign(reinterpret_cast<const uint8_t*>(h.data()), reinterpret_cast<const uint8_t*>(h.data() + h.size()));
    });
    expect_error([&] { load(on_f16); }, Status::corrupt_model_file, "has outlier channels but is not int8");
}

// Outlier channels on every linear layer's inputs, q, k and v with the same ones (the converter's choice for
// post-LN families): q, k and v still run as one fused layer. With every input channel an outlier channel
// the int8 weights are all zero and the model is its f32 weights summed in double, so (attention in f32) its
// vectors equal the f32 model's to rounding: a fused layer with the columns of q, k and v out of order would not.
TEST(HostileModelFile, Int8OutlierChannelsInEveryLinearLayer) {
    ::setenv("EDGEMBED_ATTENTION", "f32", 1);
    TinyModelSpec spec = small_spec();
    const Bytes f32 = tiny_model_file(spec);
    spec.weights = "int8";
    spec.outlier_channels = 1 << 20;  // all of them
    spec.outliers_in_every_linear = true;
    const Bytes int8 = tiny_model_file(spec);
    const std::vector<std::string> texts = {"the cat embeds the dog", "a dog"};
    std::vector<float> a(2 * 64), b(2 * 64);
    Context(Model::load_from_memory(f32.data(), f32.size())).embed({texts[0], texts[1]}, {}, a.data());
    Context(Model::load_from_memory(int8.data(), int8.size())).embed({texts[0], texts[1]}, {}, b.data());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
    ::unsetenv("EDGEMBED_ATTENTION");
}

TEST(HostileModelFile, ConvertedInt8ModelWithoutAScalesTensor) {
    const char* dir = std::getenv("EDGEMBED_MODEL_DIR");
    const std::string path =
        (std::filesystem::path(dir ? dir : EDGEMBED_SOURCE_DIR "/models") / "all-MiniLM-L6-v2.int8.edgembed").string();
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found (scripts/setup.sh converts it)";
    std::ifstream in(path, std::ios::binary);
    const Bytes good((std::istreambuf_iterator<char>(in)), {});
    std::string dropped;
    const Bytes b = with_metadata(good, [&](nlohmann::json& m) {
        auto& tensors = m["tensors"];
        for (auto it = tensors.begin(); it != tensors.end(); ++it) {
            const std::string name = (*it)["name"];
            if (name.size() > 7 && name.compare(name.size() - 7, 7, ".scales") == 0) {
                dropped = name;
                tensors.erase(it);
                return;
            }
        }
    });
    ASSERT_FALSE(dropped.empty()) << "the int8 model has no .scales tensor";
    expect_error([&] { load(b); }, Status::corrupt_model_file, "model file lacks tensor '" + dropped + "'");
}

// The loader does not scan weights (that would read every page of a mapped file at load): NaN or Inf
// weights load, and the embed call refuses the non-finite vectors they give.
TEST(HostileModelFile, NonFiniteWeightsLoadButEmbeddingIsRefused) {
    for (const char* weights : {"f32", "int8"}) {
        for (const char* tensor : {"embeddings.LayerNorm.weight", "encoder.layer.0.output.LayerNorm.bias"}) {
            for (float bad : {std::nanf(""), INFINITY}) {
                TinyModelSpec spec;
                spec.weights = weights;
                const Bytes b = tiny_model_file(spec, [&](TinyTensor& t) {
                    if (t.name == tensor) std::memcpy(t.bytes.data(), &bad, sizeof bad);
                });
                Context context(Model::load_from_memory(b.data(), b.size()));
                std::vector<float> v(static_cast<size_t>(context.model().dimension()));
                SCOPED_TRACE(std::string(weights) + " " + tensor + " = " + std::to_string(bad));
                expect_error([&] { context.embed({"the cat"}, {}, v.data()); }, Status::invalid_weights,
                             "text 0: the embedding has NaN or Inf values");
            }
        }
    }
}

// --- texts ---------------------------------------------------------------------------------------

class HostileText : public ::testing::Test {
protected:
    void SetUp() override {
        bytes_ = tiny_model_file(TinyModelSpec{});
        context_ = std::make_unique<Context>(Model::load_from_memory(bytes_.data(), bytes_.size()));
    }
    std::vector<float> embed(const std::vector<std::string>& texts) {
        std::vector<std::string_view> views(texts.begin(), texts.end());
        std::vector<float> out(texts.size() * dim());
        context_->embed(views, {}, out.data());
        return out;
    }
    std::vector<float> embed_one(const std::string& text) { return embed({text}); }
    std::vector<int32_t> tokens(const std::string& text) { return context_->tokenize(text, 0); }
    size_t dim() const { return static_cast<size_t>(context_->model().dimension()); }
    int32_t cls() const { return context_->model().tokenizer().prefix()[0]; }
    int32_t sep() const { return context_->model().tokenizer().suffix()[0]; }

    Bytes bytes_;
    std::unique_ptr<Context> context_;
};

TEST_F(HostileText, InvalidUtf8IsRefusedNamingTextAndByte) {
    struct Case {
        std::string text;
        size_t byte;
    };
    for (const Case& c : {Case{"bad \xFF byte", 4}, Case{"\xC0\xAF overlong slash", 0}, Case{"ok \xED\xA0\x80 surrogate", 3},
                          Case{"cut at the end \xE2\x82", 15}, Case{"above U+10FFFF \xF4\x90\x80\x80", 15},
                          Case{"stray \x80 continuation", 6}, Case{std::string("nul\0then \xC3", 10), 9}}) {
        expect_error([&] { embed({"fine", "also fine", c.text}); }, Status::invalid_utf8,
                     "text 2: invalid UTF-8 at byte " + std::to_string(c.byte), c.text);
    }
}

TEST_F(HostileText, NulBytesAreDroppedLikeHuggingFace) {
    const std::string with_nul("the\0 cat\0\0s", 11);
    EXPECT_EQ(tokens(with_nul), tokens("the cats"));
    EXPECT_EQ(embed_one(with_nul), embed_one("the cats"));
    EXPECT_EQ(tokens(std::string(5, '\0')), (std::vector<int32_t>{cls(), sep()}));
}

TEST_F(HostileText, EmptyWhitespaceAndControlOnlyTextsAreClsSep) {
    const std::vector<float> empty = embed_one("");
    for (const float x : empty) ASSERT_TRUE(std::isfinite(x));
    for (const std::string& text :
         {std::string(" "), std::string("\t\n\r \v\f"), std::string("\xE3\x80\x80\xC2\xA0\xE2\x80\xA8"),  // U+3000 NBSP U+2028
          std::string("\x01\x02\x1B\x7F"), std::string("\xC2\x80\xC2\x9F"),                          // C0, DEL, C1 controls
          std::string("\xE2\x80\x8B\xEF\xBB\xBF\xEF\xBF\xBD"),                                        // ZWSP, BOM, U+FFFD
          std::string(1000, ' ')}) {
        EXPECT_EQ(tokens(text), (std::vector<int32_t>{cls(), sep()})) << "text of " << text.size() << " bytes";
        EXPECT_EQ(embed_one(text), empty);
    }
}

TEST_F(HostileText, ControlCharactersInsideWordsJoinThem) {
    EXPECT_EQ(tokens("c\x01" "a\x7Ft"), tokens("cat"));
    EXPECT_EQ(tokens("c\xC2\x85" "at"), tokens("cat")) << "U+0085 (NEL) is Cc: dropped, as by Hugging Face";
    EXPECT_EQ(tokens("c\xE2\x80\x8B" "at"), tokens("cat")) << "U+200B (Cf) is dropped";
}

// Long texts must stay linear in time whatever their shape; each is 1 MB (the CLI test runs 10 MB).
TEST_F(HostileText, PathologicalLongTextsAreLinear) {
    const size_t n = 1 << 20;
    auto repeat = [n](const std::string& unit) {
        std::string s;
        while (s.size() + unit.size() <= n) s += unit;
        return s;
    };
    struct Case {
        const char* name;
        std::string text;
    };
    std::string marks;  // a run of combining marks in decreasing class order: the worst case of ordering
    while (marks.size() < n / 2) marks += "\xCC\x81";  // U+0301, class 230
    while (marks.size() < n) marks += "\xCC\x96";      // U+0316, class 220
    const std::vector<Case> cases = {
        {"one word", std::string(n, 'a')},
        {"words", repeat("the cat ")},
        {"newlines", repeat("a\n")},
        {"punctuation", std::string(n, '!')},
        {"CJK", repeat("\xE4\xB8\xAD")},
        {"added tokens", repeat("[SEP]")},
        {"NULs", std::string(n, '\0')},
        {"combining marks", "a" + marks},
        {"accented", repeat("e\xCC\x81\xCC\x96 ")},
    };
    for (const Case& c : cases) {
        const auto start = std::chrono::steady_clock::now();
        const std::vector<float> v = embed_one(c.text);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_LT(seconds, 20.0) << c.name;  // about 0.1 s each in a release build
        for (float x : v) ASSERT_TRUE(std::isfinite(x)) << c.name;
    }
}

// Limits: batches are cut to fit max_batch_tokens / max_workspace_bytes without changing the vectors;
// a sequence that cannot fit alone is Error(limit_exceeded) naming the text and the limit.
TEST_F(HostileText, LimitsCutBatchesOrRefuseClearly) {
    std::vector<std::string> texts;
    for (int i = 0; i < 40; ++i) texts.push_back(std::string(static_cast<size_t>(1 + i % 7), 'a') + " the cat sat");
    std::vector<std::string_view> views(texts.begin(), texts.end());
    std::vector<float> free_run(texts.size() * dim()), limited(texts.size() * dim());
    context_->embed(views, {}, free_run.data());

    EmbedOptions o;
    o.max_batch_tokens = 20;  // a few texts per forward pass
    context_->embed(views, o, limited.data());
    for (size_t i = 0; i < free_run.size(); ++i) ASSERT_NEAR(limited[i], free_run[i], 1e-6f) << i;

    const size_t one_text = context_->model().encoder().workspace_bytes(16, 16, context_->threads());
    o = {};
    o.max_workspace_bytes = one_text;
    context_->embed(views, o, limited.data());
    for (size_t i = 0; i < free_run.size(); ++i) ASSERT_NEAR(limited[i], free_run[i], 1e-6f) << i;

    const std::string long_text = "the cat sat on the mat and the dog sat on the cat";
    const std::string_view long_view = long_text;
    const std::string count = std::to_string(tokens(long_text).size());
    o = {};
    o.max_batch_tokens = 8;
    expect_error([&] { context_->embed({long_view}, o, limited.data()); }, Status::limit_exceeded,
                 "text 0: a sequence of " + count + " tokens is over the limit of 8 tokens per batch");
    o.long_input = LongInput::window;  // windows keep sequences short enough
    o.max_length = 8;
    context_->embed({long_view}, o, limited.data());
    o = {};
    o.max_workspace_bytes = 100;
    expect_error([&] { context_->embed({long_view}, o, limited.data()); }, Status::limit_exceeded,
                 "bytes of workspace, over the limit of 100 (max_workspace_bytes)");
}

}  // namespace
}  // namespace edgembed