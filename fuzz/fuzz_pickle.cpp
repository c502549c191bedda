// The restricted unpickler (tools/convert/pickle.h) on arbitrary bytes. It must only ever return
// tensor records or throw Error(invalid_checkpoint): never run anything, never crash, never allocate
// without bound. Every record it returns must address elements inside its storage only.
#include <cstring>
#include <memory>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "tools/convert/pickle.h"

using namespace edgembed;
using namespace edgembed::convert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
    if (size) std::memcpy(copy.get(), data, size);
    try {
        const std::vector<PickledTensor> tensors = unpickle_state_dict(copy.get(), size, "data.pkl");
        for (const PickledTensor& t : tensors) {
            FUZZ_CHECK(t.shape.size() == t.stride.size(), t.name);
            bool empty = false;
            for (int64_t d : t.shape) {
                FUZZ_CHECK(d >= 0, t.name);
                empty |= d == 0;
            }
            if (empty) continue;
            // The last addressed element, in 128-bit arithmetic: it must lie inside the storage.
            unsigned __int128 last = t.storage_offset;
            for (size_t i = 0; i < t.shape.size(); ++i) {
                FUZZ_CHECK(t.stride[i] >= 0, t.name);
                last += static_cast<unsigned __int128>(t.shape[i] - 1) * static_cast<uint64_t>(t.stride[i]);
            }
            FUZZ_CHECK(last < t.storage.numel, t.name + ": tensor extends past its storage");
        }
    } catch (const Error& e) {
        FUZZ_CHECK(e.status() == Status::invalid_checkpoint, e.what());
    }
    return 0;
}
