// The tensors of a checkpoint as read from its files (safetensors.h, torch_bin.h), before any
// renaming: names as stored, source dtypes, views of the bytes. A TensorSet owns what its views point
// into (a file mapping, buffers read from a zip), so a SourceTensor lives as long as its set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace edgembed::convert {

// Converter notes ("ignoring 2 pooler tensors ...") go to the caller, which prints them.
using NoteFn = std::function<void(const std::string&)>;

// Element types a checkpoint may store. Floats are widened to f32; i64 only appears in buffers
// such as embeddings.position_ids, which are ignored.
enum class SourceDType : uint8_t { f32, f16, bf16, i64 };
const char* source_dtype_name(SourceDType dtype) noexcept;  // "F32", "F16", "BF16", "I64"
size_t source_dtype_size(SourceDType dtype) noexcept;

struct SourceTensor {
    std::string name;             // as stored in the checkpoint
    SourceDType dtype;
    std::vector<int64_t> shape;
    const uint8_t* data;          // contiguous, row-major, little-endian; may be unaligned
    size_t nbytes;                // element count x source_dtype_size
    std::string file;             // the file it came from (for messages)
};

class TensorSet {
public:
    // Throws Error(invalid_checkpoint) if the name is already present.
    void add(SourceTensor tensor);
    // Keeps `owner` alive as long as the set (the memory the views point into).
    void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }
    // Moves every tensor of `other` into this set (shards); duplicates throw as in add().
    void merge(TensorSet&& other);

    const std::vector<SourceTensor>& tensors() const { return tensors_; }
    const SourceTensor* find(const std::string& name) const;
    size_t size() const { return tensors_.size(); }

private:
    std::vector<SourceTensor> tensors_;
    std::unordered_map<std::string, size_t> index_;
    std::vector<std::shared_ptr<const void>> owners_;
};

// Element count of a shape; throws Error(invalid_checkpoint) naming `what` on a negative dimension or
// on overflow past 2^62.
uint64_t element_count(const std::vector<int64_t>& shape, const std::string& what);

// "[a,b]"
std::string shape_string(const std::vector<int64_t>& shape);

// IEEE half / bfloat16 bits -> float (exact; NaN and Inf preserved).
float f16_to_f32(uint16_t bits) noexcept;
float bf16_to_f32(uint16_t bits) noexcept;

// The tensor's values as f32. Throws Error(invalid_weights) for an integer tensor.
std::vector<float> to_f32(const SourceTensor& tensor);

// Maps a whole file read-only. Throws Error(file_not_found / io_error). `data` stays valid while the
// returned owner lives; an empty file gives size 0.
std::shared_ptr<const void> map_file(const std::string& path, const uint8_t** data, size_t* size);

// The last path component ("dir/model.safetensors" -> "model.safetensors").
std::string base_name(const std::string& path);

}  // namespace edgembed::convert
