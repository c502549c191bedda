// Model file round trip and the loader's refusals of damaged or hostile files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/model_file/checksum.h"
#include "runtime/model_file/format.h"
#include "runtime/model_file/reader.h"
#include "runtime/model_file/writer.h"
#include "runtime/models/family.h"

namespace edgembed::model_file {
namespace {

ModelConfig tiny_config() {
    ModelConfig c;
    c.hidden_size = 8;
    c.num_layers = 1;
    c.num_heads = 2;
    c.intermediate_size = 16;
    c.max_position_embeddings = 16;
    c.type_vocab_size = 2;
    c.tokenizer.wordpiece.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"};
    c.tokenizer.prefix = {2};
    c.tokenizer.suffix = {3};
    c.vocab_size = 5;
    c.max_seq_length = 16;
    c.source = std::string(64, 'x');  // room for forged metadata to grow (with_metadata clears it)
    return c;
}

class ModelFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("edgembed_model_file_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "tiny.edgembed").string();
        Writer writer(tiny_config());
        std::vector<float> a(12), b(5);
        for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i);
        for (size_t i = 0; i < b.size(); ++i) b[i] = -static_cast<float>(i);
        writer.add_tensor("a", DType::f32, {3, 4}, a.data(), a.size() * 4);
        writer.add_tensor("b", DType::f32, {5}, b.data(), b.size() * 4);
        writer.write(path_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::vector<char> bytes() const {
        std::ifstream in(path_, std::ios::binary);
        return std::vector<char>(std::istreambuf_iterator<char>(in), {});
    }
    // Writes `data` as a model file, recomputing the checksum so that only the intended damage shows.
    std::string write_file(std::vector<char> data, bool fix_checksum = true) const {
        if (fix_checksum && data.size() >= kHeaderSize) {
            FileHeader h;
            std::memcpy(&h, data.data(), sizeof h);
            h.checksum = header_checksum(reinterpret_cast<const uint8_t*>(data.data()), data.size());
            std::memcpy(data.data(), &h, sizeof h);
        }
        const std::string p = (dir_ / "damaged.edgembed").string();
        std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
        return p;
    }
    // Replaces the metadata JSON (same length or shorter, space-padded) to forge hostile tables.
    std::vector<char> with_metadata(nlohmann::json metadata) const {
        metadata["config"]["source"] = "";
        std::vector<char> data = bytes();
        FileHeader h;
        std::memcpy(&h, data.data(), sizeof h);
        std::string text = metadata.dump();
        EXPECT_LE(text.size(), h.data_offset - kHeaderSize);
        text.resize(h.data_offset - kHeaderSize, ' ');
        h.metadata_size = text.size();
        std::memcpy(data.data(), &h, sizeof h);
        std::memcpy(data.data() + kHeaderSize, text.data(), text.size());
        return data;
    }
    nlohmann::json metadata() const {
        std::vector<char> data = bytes();
        FileHeader h;
        std::memcpy(&h, data.data(), sizeof h);
        return nlohmann::json::parse(data.begin() + kHeaderSize, data.begin() + kHeaderSize + static_cast<long>(h.metadata_size));
    }

    void expect_refused(const std::string& path, Status status, const std::string& fragment) const {
        try {
            ModelFile::open(path)->verify_all_tensors();  // as a loader does before it hands out a model
            FAIL() << "expected a refusal containing '" << fragment << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), status) << e.what();
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    }

    std::filesystem::path dir_;
    std::string path_;
};

TEST_F(ModelFileTest, RoundTripIsAlignedAndExact) {
    auto file = ModelFile::open(path_);
    EXPECT_EQ(file->format_version(), kFormatVersion);
    EXPECT_EQ(file->config().hidden_size, 8);
    EXPECT_EQ(file->config().tokenizer.wordpiece.vocab[4], "a");
    const TensorView& a = file->tensor("a");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 4}));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data) % kTensorAlignment, 0u);
    EXPECT_EQ(static_cast<const float*>(a.data)[11], 11.0f);
    EXPECT_EQ(static_cast<const float*>(file->tensor("b").data)[4], -4.0f);
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp-" + std::to_string(::getpid())));
}

TEST_F(ModelFileTest, LoadsFromMemory) {
    const std::vector<char> data = bytes();
    auto file = ModelFile::from_memory(data.data(), data.size());
    EXPECT_EQ(static_cast<const float*>(file->tensor("a").data)[5], 5.0f);
}

TEST_F(ModelFileTest, MissingFile) { expect_refused((dir_ / "nope").string(), Status::file_not_found, "cannot open model file"); }

TEST_F(ModelFileTest, TooShort) {
    expect_refused(write_file(std::vector<char>(10, 0), false), Status::corrupt_model_file, "less than the 64-byte header");
}

TEST_F(ModelFileTest, BadMagic) {
    std::vector<char> data = bytes();
    data[0] = 'X';
    expect_refused(write_file(data), Status::corrupt_model_file, "bad magic");
}

TEST_F(ModelFileTest, FutureVersion) {
    std::vector<char> data = bytes();
    data[8] = 9;
    expect_refused(write_file(data), Status::unsupported_version, "version 9 is not supported");
}

TEST_F(ModelFileTest, Truncated) {
    std::vector<char> data = bytes();
    data.resize(data.size() - 4);
    expect_refused(write_file(data), Status::corrupt_model_file, "truncated");
}

TEST_F(ModelFileTest, ChecksumMismatch) {
    std::vector<char> data = bytes();
    data.back() ^= 1;
    expect_refused(write_file(data, false), Status::corrupt_model_file, "checksum mismatch");
}

// Version 2: the metadata is checked at open, a tensor when it is first handed out, the padding at open.
TEST_F(ModelFileTest, DamagedMetadataIsRefusedAtOpen) {
    std::vector<char> data = bytes();
    data[kHeaderSize + 2] ^= 4;
    try {
        ModelFile::open(write_file(data, false));
        FAIL() << "a damaged metadata byte was not noticed at open";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
    }
}

TEST_F(ModelFileTest, DamagedTensorIsRefusedWhenFirstUsed) {
    std::vector<char> data = bytes();
    const nlohmann::json m = metadata();
    FileHeader h;
    std::memcpy(&h, data.data(), sizeof h);
    uint64_t b_offset = 0;
    for (const auto& t : m["tensors"])
        if (t["name"] == "b") b_offset = t["offset"].get<uint64_t>();
    data[h.data_offset + b_offset + 1] ^= 2;
    auto file = ModelFile::open(write_file(data, false));  // the metadata is intact
    EXPECT_EQ(static_cast<const float*>(file->tensor("a").data)[5], 5.0f);
    EXPECT_EQ(file->describe("b").shape, std::vector<int64_t>{5});  // describing reads no tensor bytes
    try {
        file->tensor("b");
        FAIL() << "a damaged tensor was handed out";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::corrupt_model_file);
        EXPECT_NE(std::string(e.what()).find("checksum mismatch (the file is damaged): tensor 'b'"), std::string::npos) << e.what();
    }
}

TEST_F(ModelFileTest, NonzeroPaddingIsRefused) {
    std::vector<char> data = bytes();
    const nlohmann::json m = metadata();
    FileHeader h;
    std::memcpy(&h, data.data(), sizeof h);
    const auto& a = m["tensors"][0];
    const uint64_t end_of_first = h.data_offset + a["offset"].get<uint64_t>() + a["nbytes"].get<uint64_t>();
    ASSERT_NE(end_of_first % kTensorAlignment, 0u) << "the test needs padding after the first tensor";
    data[end_of_first] = 1;
    expect_refused(write_file(data, false), Status::corrupt_model_file, "lies outside every tensor and is not zero");
}

TEST_F(ModelFileTest, MetadataNotJson) {
    std::vector<char> data = bytes();
    data[kHeaderSize] = '!';
    expect_refused(write_file(data), Status::corrupt_model_file, "not valid JSON");
}

TEST_F(ModelFileTest, TensorOutsideFile) {
    nlohmann::json m = metadata();
    m["tensors"][1]["offset"] = 1u << 20;
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "tensor 'b' lies outside the file");
}

TEST_F(ModelFileTest, TensorSizeDisagreesWithShape) {
    nlohmann::json m = metadata();
    m["tensors"][0]["shape"] = {4, 4};
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "tensor 'a' size does not match");
}

TEST_F(ModelFileTest, HugeShapeDoesNotOverflow) {
    nlohmann::json m = metadata();
    m["tensors"][0]["shape"] = {int64_t(1) << 40, int64_t(1) << 40};
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "tensor 'a' has a bad shape");
}

TEST_F(ModelFileTest, MisalignedTensor) {
    nlohmann::json m = metadata();
    m["tensors"][1]["offset"] = 4;
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "not 64-byte aligned");
}

TEST_F(ModelFileTest, UnknownDtype) {
    nlohmann::json m = metadata();
    m["tensors"][0]["dtype"] = "f64";
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "unknown dtype");
}

TEST_F(ModelFileTest, ConfigKeyMissing) {
    nlohmann::json m = metadata();
    m["config"].erase("hidden_size");
    expect_refused(write_file(with_metadata(m)), Status::invalid_config, "missing key 'hidden_size'");
}

TEST_F(ModelFileTest, UnsupportedArchitecture) {
    nlohmann::json m = metadata();
    m["config"]["architecture"] = "t5";
    expect_refused(write_file(with_metadata(m)), Status::unsupported_architecture, "unsupported architecture 't5'");
}

// Grouped-query attention's config keys: written only when set (older files, which lack them, mean num_heads
// key / value heads of hidden_size / num_heads floats), read back, and checked.
TEST_F(ModelFileTest, KeyValueHeadsAndHeadDim) {
    ModelConfig c = tiny_config();
    nlohmann::json j;
    to_json(j, c);
    EXPECT_FALSE(j.contains("num_kv_heads"));
    EXPECT_FALSE(j.contains("head_dim"));
    const ModelConfig plain = model_config_from_json(j);
    EXPECT_EQ(plain.kv_heads(), 2);
    EXPECT_EQ(plain.head_dim(), 4);
    EXPECT_EQ(plain.query_width(), 8);
    c.num_kv_heads = 1;
    c.head_size = 6;  // q: 2 x 6 = 12 wide, k / v: 6, hidden 8
    to_json(j, c);
    const ModelConfig back = model_config_from_json(j);
    EXPECT_EQ(back.kv_heads(), 1);
    EXPECT_EQ(back.head_dim(), 6);
    EXPECT_EQ(back.query_width(), 12);
    EXPECT_EQ(back.kv_width(), 6);
    for (const auto& [key, value, message] :
         {std::tuple<const char*, int, const char*>{"num_kv_heads", 3, "num_kv_heads must divide num_heads"},
          {"num_kv_heads", -1, "num_kv_heads must divide num_heads"},
          {"head_dim", 5, "head_dim must be even"},
          {"head_dim", 4096, "head_dim must be even and in [2, 1024]"}}) {
        nlohmann::json bad = j;
        bad[key] = value;
        try {
            model_config_from_json(bad);
            ADD_FAILURE() << key << " " << value << " was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), Status::invalid_config);
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
        }
    }
}

// sentence-transformers Dense modules: written only when there are some (with layout revision 3, which older runtimes
// refuse), read back, chained from hidden_size, and checked.
TEST_F(ModelFileTest, DenseModules) {
    ModelConfig c = tiny_config();
    nlohmann::json j;
    to_json(j, c);
    EXPECT_FALSE(j.contains("dense"));
    EXPECT_EQ(model_config_from_json(j).output_dimension(), 8);
    c.layout_revision = models::kDenseModulesRevision;
    c.dense = {{8, 32, false, DenseActivation::identity}, {32, 6, true, DenseActivation::tanh}};
    to_json(j, c);
    const ModelConfig back = model_config_from_json(j);
    ASSERT_EQ(back.dense.size(), 2u);
    EXPECT_EQ(back.dense[1].in_features, 32);
    EXPECT_TRUE(back.dense[1].bias);
    EXPECT_EQ(back.dense[1].activation, DenseActivation::tanh);
    EXPECT_EQ(back.output_dimension(), 6);
    auto expect_bad = [&](nlohmann::json bad, const char* message) {
        try {
            model_config_from_json(bad);
            ADD_FAILURE() << bad["dense"].dump() << " was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.status(), Status::invalid_config);
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
        }
    };
    nlohmann::json bad = j;
    bad["dense"][1]["in_features"] = 31;
    expect_bad(bad, "dense[1] in_features 31 differs from the 32 floats before it");
    bad = j;
    bad["dense"][0]["activation"] = "relu";
    expect_bad(bad, "unknown activation 'relu'");
    bad = j;
    bad["dense"][0]["out_features"] = 0;
    bad["dense"][1]["in_features"] = 0;
    expect_bad(bad, "dense[0] out_features out of range");
    bad = j;
    bad["layout_revision"] = 2;
    expect_bad(bad, "Dense modules need layout_revision 3");
    bad = j;
    bad["dense"] = "no";
    expect_bad(bad, "'dense' is not an array");
}

// A u8 tensor is a blob (e.g. a serialized tokenizer model): shape [n], nbytes n, bytes kept exactly,
// and the tensor after it still aligned.
TEST_F(ModelFileTest, U8BlobRoundTrips) {
    std::vector<uint8_t> blob(67);  // not a multiple of the alignment
    for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<uint8_t>(i * 37 + 255);  // 0x00 and 0xff among them
    const float after[2] = {1.5f, -2.5f};
    Writer writer(tiny_config());
    writer.add_tensor("tokenizer.model", DType::u8, {static_cast<int64_t>(blob.size())}, blob.data(), blob.size());
    writer.add_tensor("after", DType::f32, {2}, after, sizeof after);
    const std::string path = (dir_ / "blob.edgembed").string();
    writer.write(path);

    auto file = ModelFile::open(path);
    const TensorView& t = file->tensor("tokenizer.model");
    EXPECT_EQ(t.dtype, DType::u8);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{67}));
    EXPECT_EQ(t.nbytes, 67u);
    EXPECT_EQ(t.elements(), 67);
    EXPECT_EQ(std::memcmp(t.data, blob.data(), blob.size()), 0);
    const TensorView& a = file->tensor("after");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data) % kTensorAlignment, 0u);
    EXPECT_EQ(static_cast<const float*>(a.data)[1], -2.5f);

    std::ifstream in(path, std::ios::binary);
    std::vector<char> data((std::istreambuf_iterator<char>(in)), {});
    FileHeader h;
    std::memcpy(&h, data.data(), sizeof h);
    const auto m = nlohmann::json::parse(data.begin() + kHeaderSize, data.begin() + kHeaderSize + static_cast<long>(h.metadata_size));
    EXPECT_EQ(m["tensors"][0]["dtype"], "u8");
}

TEST_F(ModelFileTest, U8BlobSizeMustMatchItsShape) {
    uint8_t blob[5] = {};
    Writer writer(tiny_config());
    EXPECT_THROW(writer.add_tensor("blob", DType::u8, {4}, blob, sizeof blob), Error);
    nlohmann::json m = metadata();
    m["tensors"][1]["dtype"] = "u8";  // b: shape [5], 20 bytes
    expect_refused(write_file(with_metadata(m)), Status::corrupt_model_file, "tensor 'b' size does not match");
    m["tensors"][1]["shape"] = {20};  // the same bytes as a 20-byte blob are fine
    auto file = ModelFile::open(write_file(with_metadata(m)));
    EXPECT_EQ(file->tensor("b").dtype, DType::u8);
    EXPECT_EQ(file->tensor("b").nbytes, 20u);
}

TEST_F(ModelFileTest, WriterRefusesWrongByteCount) {
    Writer writer(tiny_config());
    float x[3] = {};
    try {
        writer.add_tensor("x", DType::f32, {4}, x, sizeof x);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("its shape needs 16"), std::string::npos) << e.what();
    }
}

TEST_F(ModelFileTest, FailedWriteLeavesNothing) {
    Writer writer(tiny_config());
    const std::string target = (dir_ / "no_such_dir" / "out.edgembed").string();
    EXPECT_THROW(writer.write(target), Error);
    EXPECT_FALSE(std::filesystem::exists(target));
}

}  // namespace
}  // namespace edgembed::model_file
