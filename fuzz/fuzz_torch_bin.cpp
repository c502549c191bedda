// The PyTorch zip reader (tools/convert/torch_bin.h) end to end. Two input shapes:
//   - bytes starting with "PK\3\4": written as pytorch_model.bin as they are (the zip container itself);
//   - anything else: parts separated by kSeparator, packed into a valid zip by libzip here, so that the
//     mutations reach the pickle and the storages instead of failing the zip CRC:
//       part 0 -> archive/data.pkl, part i >= 1 -> archive/data/<i-1>, plus archive/byteorder = "little".
// Accepted tensors must widen to f32 (float dtypes) without a crash; the storages are heap buffers, so
// AddressSanitizer sees any out-of-bounds read of a strided gather.
#include <zip.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/torch_bin.h"

using namespace edgembed;
using namespace edgembed::convert;

namespace {

constexpr std::string_view kSeparator = "#EDGEMBED-ENTRY#";

void write_zip(const std::string& path, const std::vector<std::string_view>& parts) {
    int error = 0;
    zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    FUZZ_CHECK(zip != nullptr, "zip_open");
    auto add = [&](const std::string& name, std::string_view bytes) {
        zip_source_t* source = zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
        FUZZ_CHECK(source != nullptr, "zip_source_buffer");
        const zip_int64_t index = zip_file_add(zip, name.c_str(), source, ZIP_FL_OVERWRITE);
        FUZZ_CHECK(index >= 0, "zip_file_add");
        zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    };
    add("archive/data.pkl", parts[0]);
    add("archive/byteorder", "little");
    for (size_t i = 1; i < parts.size(); ++i) add("archive/data/" + std::to_string(i - 1), parts[i]);
    FUZZ_CHECK(zip_close(zip) == 0, "zip_close");  // the buffers are read here, while parts are alive
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string path = fuzz::scratch_dir() + "/pytorch_model.bin";
    if (input.substr(0, 4) == std::string_view("PK\3\4", 4)) {
        fuzz::write_file(path, input);
    } else {
        std::vector<std::string_view> parts = fuzz::split(input, kSeparator);
        if (parts.size() > 64) return 0;  // zip entries are cheap, but keep an input's work bounded
        write_zip(path, parts);
    }
    try {
        const TensorSet set = read_torch_bin(path);
        for (const SourceTensor& t : set.tensors()) {
            const uint64_t count = element_count(t.shape, t.name);
            FUZZ_CHECK(count * source_dtype_size(t.dtype) == t.nbytes, t.name);
            if (t.dtype != SourceDType::i64) FUZZ_CHECK(to_f32(t).size() == count, t.name);
        }
    } catch (const Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
