// A restricted unpickler for the data.pkl of a PyTorch state dict (torch.save of a dict of tensors).
// It never imports or calls anything: the few globals a state dict needs are recognized by name and
// interpreted here (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the storage types
// torch.FloatStorage / HalfStorage / BFloat16Storage / LongStorage); any other global, and any opcode
// outside the small set a state dict uses, is refused with Error(invalid_checkpoint).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/convert/checkpoint_tensors.h"

namespace edgembed::convert {

inline constexpr size_t kMaxPickleBytes = 64u << 20;

// A storage named by a persistent id ('storage', <type>, key, location, numel): the bytes are the
// zip entry "<archive>/data/<key>".
struct PickledStorage {
    SourceDType dtype;
    std::string key;
    uint64_t numel;
};

struct PickledTensor {
    std::string name;
    PickledStorage storage;
    uint64_t storage_offset;      // elements
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;  // elements, non-negative; every element lies inside the storage
};

// `file` prefixes every message ("pytorch_model.bin: refusing pickle global 'os.system' (...)").
std::vector<PickledTensor> unpickle_state_dict(const uint8_t* data, size_t size, const std::string& file);

}  // namespace edgembed::convert
