// The safetensors parser (tools/convert/safetensors.h) on arbitrary bytes, from a heap copy so that
// AddressSanitizer sees any read outside the file. Every accepted tensor must lie inside the data
// section with nbytes == elements x dtype size, and must widen to f32 (floats) without a crash.
#include <cstring>
#include <memory>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/safetensors.h"

using namespace edgembed;
using namespace edgembed::convert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // An exact-size heap copy: data may be shorter than any header it claims.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
    if (size) std::memcpy(copy.get(), data, size);
    try {
        const TensorSet set = parse_safetensors(copy.get(), size, "fuzz.safetensors", nullptr);
        for (const SourceTensor& t : set.tensors()) {
            FUZZ_CHECK(t.data >= copy.get() + 8 && t.nbytes <= size && t.data + t.nbytes <= copy.get() + size, t.name);
            uint64_t count = 1;
            for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
            FUZZ_CHECK(count * source_dtype_size(t.dtype) == t.nbytes, t.name);
            FUZZ_CHECK(set.find(t.name) == &t, t.name);
            if (t.dtype != SourceDType::i64) {
                const std::vector<float> values = to_f32(t);
                FUZZ_CHECK(values.size() == count, t.name);
            }
        }
    } catch (const Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
