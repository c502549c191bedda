// Opens a model file (format.h) from a path (mmap) or a memory buffer and validates everything
// before any tensor is touched: magic, version, sizes, the metadata JSON, every tensor's dtype,
// shape, offset and size against the file, and the checksum of the metadata (version 1: of the whole
// file). A version 2 tensor's own checksum is checked when tensor() first hands it out, and
// verify_all_tensors() checks the rest, so a loader reads each tensor once, while it is in cache.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/dtype.h"
#include "base/tensor_view.h"
#include "runtime/model_config.h"

namespace edgembed::model_file {

// The file's tensors (base/tensor_view.h): data aligned to kTensorAlignment, valid while the ModelFile lives.
using edgembed::TensorView;

class ModelFile {
public:
    // Throws Error: file_not_found, io_error, corrupt_model_file, unsupported_version, invalid_config.
    static std::unique_ptr<ModelFile> open(const std::string& path, bool verify_checksum = true);
    // Copies the buffer (to get aligned storage); the caller may free it afterwards.
    static std::unique_ptr<ModelFile> from_memory(const void* data, size_t size, bool verify_checksum = true);
    ~ModelFile();
    ModelFile(const ModelFile&) = delete;
    ModelFile& operator=(const ModelFile&) = delete;

    const ModelConfig& config() const { return config_; }
    uint32_t format_version() const { return format_version_; }
    uint64_t file_size() const { return size_; }
    bool has(const std::string& name) const { return tensors_.count(name) != 0; }
    // A tensor whose bytes the caller will read: checked against its checksum on first use (when the file
    // was opened with verify_checksum). Throws Error(corrupt_model_file) when it is missing or damaged.
    const TensorView& tensor(const std::string& name) const;
    // A tensor's dtype, shape and size only, for checks that do not read its bytes (data unverified).
    const TensorView& describe(const std::string& name) const;
    // Checks every tensor tensor() has not checked yet, and (version 2) that the bytes outside every tensor
    // are zero; a loader calls it before it hands out a model, after its own checks of the tensor table.
    void verify_all_tensors() const;
    const std::unordered_map<std::string, TensorView>& tensors() const { return tensors_; }
    // A tensor the caller has copied and will not read again leaves the process's resident memory (its
    // pages go back to the page cache; reading it later stays valid). No effect on a buffer-backed file.
    void release_pages(const TensorView& tensor) const;
    // Copies bytes [offset, offset + size) of a tensor into out: with pread for a mapped file, so that the
    // mapping is not touched (a fault there maps a whole large folio of the page cache, up to 2 MB on
    // recent kernels, into the process), memcpy for a buffer. Throws Error(io_error).
    void read(const TensorView& tensor, size_t offset, size_t size, void* out) const;

private:
    ModelFile() = default;
    // fd: the open file behind a mapping (the checksum reads it), or -1 for a buffer.
    void parse(bool verify_checksum, int fd);
    // Version 2: the bytes of the data area outside every tensor must be zero (they have no checksum).
    void check_padding(int fd) const;
    void verify(const std::string& name, const TensorView& view) const;

    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    bool mapped_ = false;
    int fd_ = -1;  // a mapped file's descriptor, kept open for read()
    std::unique_ptr<uint8_t[], void (*)(uint8_t*)> owned_{nullptr, nullptr};
    uint32_t format_version_ = 0;
    ModelConfig config_;
    std::unordered_map<std::string, TensorView> tensors_;
    // Version 2, when verifying: the tensors' checksums not yet checked (verify() erases each it checks).
    mutable std::unordered_map<std::string, uint64_t> tensor_checksums_;
    mutable bool padding_unchecked_ = false;  // version 2, when verifying: check_padding() not run yet
    mutable std::mutex verify_mutex_;
};

}  // namespace edgembed::model_file
