// The PyTorch zip reader and its restricted unpickler (tools/convert/torch_bin.h, pickle.h) on
// hand-built state dicts and on hostile pickles. tests/python/test_convert_torch_bin.py covers files
// written by torch itself.
#include "tools/convert/torch_bin.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "tests/tools/test_convert_util.h"
#include "tools/convert/pickle.h"

namespace edgembed::convert {
namespace {

using namespace edgembed::convert::testing;

void expect_refused(const std::string& path, const std::string& fragment) {
    try {
        read_torch_bin(path);
        ADD_FAILURE() << "accepted, expected: " << fragment;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_checkpoint) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what() << "\nexpected: " << fragment;
    }
}

// A zip with this pickle and no storages, refused with exactly `message`.
void expect_pickle_refused(const std::string& pickle, const std::string& message) {
    TempDir dir;
    write_torch_zip(dir / "pytorch_model.bin", pickle, {});
    try {
        read_torch_bin(dir / "pytorch_model.bin");
        ADD_FAILURE() << "accepted, expected: " << message;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_checkpoint);
        EXPECT_EQ(std::string(e.what()), message);
    }
}

TEST(TorchBin, ReadsAStateDict) {
    TempDir dir;
    const std::vector<float> storage0 = {0, 1, 2, 3, 4, 5, 6, 7};
    const std::vector<uint16_t> storage1 = {0x3c00, 0x4000, 0x4200};  // f16 1, 2, 3
    write_torch_zip(dir / "pytorch_model.bin",
                    state_dict_pickle({
                        {"w", "FloatStorage", "0", 8, 2, {2, 3}, {3, 1}},       // storage[2..8) as 2x3
                        {"w_t", "FloatStorage", "0", 8, 2, {3, 2}, {1, 3}},     // its transpose (a strided view)
                        {"h", "HalfStorage", "1", 3, 1, {2}, {1}},
                        {"scalar", "FloatStorage", "0", 8, 7, {}, {}},
                        {"empty", "FloatStorage", "0", 8, 0, {0, 4}, {4, 1}},
                    }),
                    {{"0", raw_bytes(storage0)}, {"1", raw_bytes(storage1)}}, "pytorch_model");
    const TensorSet set = read_torch_bin(dir / "pytorch_model.bin");
    ASSERT_EQ(set.size(), 5u);
    EXPECT_EQ(set.tensors()[0].name, "w");  // state dict order
    EXPECT_EQ(set.find("w")->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(to_f32(*set.find("w")), (std::vector<float>{2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(to_f32(*set.find("w_t")), (std::vector<float>{2, 5, 3, 6, 4, 7}));
    EXPECT_EQ(set.find("h")->dtype, SourceDType::f16);
    EXPECT_EQ(to_f32(*set.find("h")), (std::vector<float>{2, 3}));
    EXPECT_EQ(to_f32(*set.find("scalar")), std::vector<float>{7});
    EXPECT_EQ(set.find("empty")->nbytes, 0u);
    EXPECT_EQ(set.find("w")->file, "pytorch_model.bin");
}

TEST(TorchBin, RefusesForbiddenGlobals) {
    expect_pickle_refused(PickleBuilder().proto(2).global("os", "system").mark().str("touch /tmp/pwned").op('t').op('R').stop().bytes(),
                          "pytorch_model.bin: refusing pickle global 'os.system' (only tensor data is accepted)");
    expect_pickle_refused(PickleBuilder().proto(4).str("builtins").str("eval").op('\x93').stop().bytes(),
                          "pytorch_model.bin: refusing pickle global 'builtins.eval' (only tensor data is accepted)");
    expect_pickle_refused(PickleBuilder().proto(2).global("torch.storage", "_load_from_bytes").stop().bytes(),
                          "pytorch_model.bin: refusing pickle global 'torch.storage._load_from_bytes' (only tensor data is accepted)");
    expect_pickle_refused(PickleBuilder().proto(2).global("torch._utils", "_rebuild_parameter").stop().bytes(),
                          "pytorch_model.bin: refusing pickle global 'torch._utils._rebuild_parameter' (only tensor data is accepted)");
    // The global is refused where it appears, even deep inside an otherwise valid state dict.
    std::string pickle = state_dict_pickle({{"w", "FloatStorage", "0", 1, 0, {1}, {1}}});
    pickle.insert(pickle.size() - 1, PickleBuilder().global("subprocess", "Popen").op('0').bytes());
    expect_pickle_refused(pickle, "pytorch_model.bin: refusing pickle global 'subprocess.Popen' (only tensor data is accepted)");
}

TEST(TorchBin, RefusesCallingAStorageType) {
    expect_pickle_refused(PickleBuilder().proto(2).global("torch", "FloatStorage").op(')').op('R').stop().bytes(),
                          "pytorch_model.bin: pickle calls 'torch.FloatStorage', which a state dict never does (only tensor data is accepted)");
}

TEST(TorchBin, RefusesOtherOpcodes) {
    // INST ('i') imports and calls in one opcode; POP, DUP, EXT1, NEWOBJ, PERSID are not needed either.
    expect_pickle_refused(PickleBuilder().proto(2).mark().raw("ios\nsystem\n").stop().bytes(),
                          "pytorch_model.bin: unsupported pickle opcode 0x69 at offset 3 (only tensor data is accepted)");
    expect_pickle_refused(PickleBuilder().proto(2).op('}').op('0').stop().bytes(),
                          "pytorch_model.bin: unsupported pickle opcode 0x30 at offset 3 (only tensor data is accepted)");
    expect_pickle_refused(PickleBuilder().proto(2).op('\x82').raw("\x01").stop().bytes(),
                          "pytorch_model.bin: unsupported pickle opcode 0x82 at offset 2 (only tensor data is accepted)");
}

TEST(TorchBin, RefusesMalformedPickles) {
    expect_pickle_refused(PickleBuilder().proto(2).op('}').bytes(), "pytorch_model.bin: truncated pickle (needs 1 bytes at offset 3)");
    expect_pickle_refused(PickleBuilder().proto(2).raw("X\xff\xff\xff\x7f").stop().bytes(), "pytorch_model.bin: truncated pickle (a string of 2147483647 bytes at offset 7)");
    expect_pickle_refused(PickleBuilder().proto(2).op('t').stop().bytes(), "pytorch_model.bin: malformed pickle: no MARK at offset 3");
    expect_pickle_refused(PickleBuilder().proto(2).get(5).stop().bytes(), "pytorch_model.bin: malformed pickle: memo entry 5 is not set");
    expect_pickle_refused(PickleBuilder().proto(2).op(']').stop().bytes(), "pytorch_model.bin: the pickle holds a list, not a state dict");
    expect_pickle_refused(PickleBuilder().proto(2).op('}').str("k").integer(3).op('s').stop().bytes(),
                          "pytorch_model.bin: state dict entry 'k' is a int, not a tensor");
    expect_pickle_refused(PickleBuilder().proto(2).op('}').op('}').stop().bytes(), "pytorch_model.bin: malformed pickle: stack not balanced at STOP");
}

TEST(TorchBin, DeepNestingIsHarmless) {
    // 200k nested lists would overflow a recursive destructor.
    PickleBuilder p;
    p.proto(2).op(']');
    for (int i = 0; i < 200000; ++i) p.op(']').op('a');  // append a new list to the previous one... all at depth 2
    std::string flat = p.bytes();
    std::string deep = PickleBuilder().proto(2).bytes();
    for (int i = 0; i < 200000; ++i) deep += ']';
    for (int i = 0; i < 199999; ++i) deep += 'a';
    expect_pickle_refused(flat + ".", "pytorch_model.bin: the pickle holds a list, not a state dict");
    expect_pickle_refused(deep + ".", "pytorch_model.bin: the pickle holds a list, not a state dict");
}

TEST(TorchBin, RefusesTensorsOutsideTheirStorage) {
    TempDir dir;
    const std::string four_floats(16, '\0');
    write_torch_zip(dir / "a.bin", state_dict_pickle({{"w", "FloatStorage", "0", 4, 1, {2, 2}, {2, 1}}}), {{"0", four_floats}});
    expect_refused(dir / "a.bin", "a.bin: malformed tensor record: tensor extends past its storage of 4 elements");
    write_torch_zip(dir / "b.bin", state_dict_pickle({{"w", "FloatStorage", "0", 4, 0, {2}, {-1}}}), {{"0", four_floats}});
    expect_refused(dir / "b.bin", "malformed tensor record: negative stride");
    write_torch_zip(dir / "c.bin", state_dict_pickle({{"w", "FloatStorage", "0", 5, 0, {4}, {1}}}), {{"0", four_floats}});
    expect_refused(dir / "c.bin", "c.bin: storage '0' has 16 bytes, its 5 F32 elements need 20");
    write_torch_zip(dir / "d.bin", state_dict_pickle({{"w", "FloatStorage", "7", 4, 0, {4}, {1}}}), {{"0", four_floats}});
    expect_refused(dir / "d.bin", "d.bin: tensor 'w' needs the missing zip entry 'archive/data/7'");
    write_torch_zip(dir / "e.bin", state_dict_pickle({{"w", "FloatStorage", "0", 4, 0, {4}, {1}}, {"v", "HalfStorage", "0", 8, 0, {8}, {1}}}),
                    {{"0", four_floats}});
    expect_refused(dir / "e.bin", "e.bin: storage '0' is described twice with different types or sizes");
}

TEST(TorchBin, RefusesLegacyAndNonZipFiles) {
    TempDir dir;
    write_file(dir / "pytorch_model.bin", std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15));
    expect_refused(dir / "pytorch_model.bin",
                   "pytorch_model.bin: legacy (non-zip) PyTorch serialization is not supported; re-save it with torch.save() from torch >= 1.6 "
                   "or convert it to safetensors");
    write_file(dir / "other.bin", "hello, world");
    expect_refused(dir / "other.bin", "other.bin: not a PyTorch zip checkpoint");
    write_file(dir / "cut.bin", read_file(dir / "other.bin").substr(0, 0) + "PK\x03\x04 truncated");
    expect_refused(dir / "cut.bin", "cut.bin: not a readable zip archive");
}

TEST(TorchBin, RefusesZipsWithoutDataPkl) {
    TempDir dir;
    int error = 0;
    zip_t* z = zip_open((dir / "x.bin").c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    ASSERT_NE(z, nullptr);
    static const char text[] = "hi";
    zip_file_add(z, "readme.txt", zip_source_buffer(z, text, 2, 0), 0);
    ASSERT_EQ(zip_close(z), 0);
    expect_refused(dir / "x.bin", "x.bin: no <archive>/data.pkl entry: not a PyTorch checkpoint");
}

TEST(TorchBin, RefusesBigEndianCheckpoints) {
    TempDir dir;
    write_torch_zip(dir / "x.bin", state_dict_pickle({}), {});
    // Rewrite the byteorder entry.
    int error = 0;
    zip_t* z = zip_open((dir / "x.bin").c_str(), 0, &error);
    ASSERT_NE(z, nullptr);
    static const char big[] = "big";
    zip_file_add(z, "archive/byteorder", zip_source_buffer(z, big, 3, 0), ZIP_FL_OVERWRITE);
    ASSERT_EQ(zip_close(z), 0);
    expect_refused(dir / "x.bin", "x.bin: only little-endian checkpoints are supported");
}

}  // namespace
}  // namespace edgembed::convert
