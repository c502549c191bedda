#include "runtime/model_file/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "base/error.h"
#include "runtime/model_file/checksum.h"
#include "runtime/model_file/format.h"
#include "runtime/model_file/metadata_json.h"

namespace edgembed::model_file {

namespace {

[[noreturn]] void corrupt(const std::string& what) {
    throw Error(Status::corrupt_model_file, "corrupt model file: " + what);
}

void free_aligned(uint8_t* p) { std::free(p); }

// XXH64 of `size` bytes: from the file through pread() into a small buffer when there is one (mapped
// models), else of the memory at `data`. Reading the file does not fault the mapping's pages in, so
// verifying costs neither page-table work nor resident memory: the model's footprint stays the pages
// inference touches.
uint64_t checksum(int fd, uint64_t offset, const uint8_t* data, uint64_t size) {
    if (fd < 0) return XXH64(data, size, 0);
    XXH64_state_t* state = XXH64_createState();
    if (state == nullptr) throw Error(Status::out_of_memory, "cannot allocate a checksum state");
    XXH64_reset(state, 0);
    constexpr size_t kChunk = 1u << 20;
    std::vector<uint8_t> buffer(kChunk);
    for (uint64_t done = 0; done < size;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size - done));
        const ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            XXH64_freeState(state);
            throw Error(Status::io_error, std::string("cannot read the model file to verify it: ") +
                                              (got < 0 ? std::strerror(errno) : "it is shorter than it was"));
        }
        XXH64_update(state, buffer.data(), static_cast<size_t>(got));
        done += static_cast<uint64_t>(got);
    }
    const uint64_t digest = XXH64_digest(state);
    XXH64_freeState(state);
    return digest;
}

}  // namespace

std::unique_ptr<ModelFile> ModelFile::open(const std::string& path, bool verify_checksum) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const Status status = errno == ENOENT ? Status::file_not_found : Status::io_error;
        throw Error(status, "cannot open model file '" + path + "': " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(Status::io_error, "model file '" + path + "' is not a regular file");
    }
    std::unique_ptr<ModelFile> file(new ModelFile());
    file->size_ = static_cast<uint64_t>(st.st_size);
    if (file->size_ < kHeaderSize) {
        ::close(fd);
        corrupt("'" + path + "' has " + std::to_string(file->size_) + " bytes, less than the 64-byte header");
    }
    void* mapping = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        throw Error(Status::io_error, "cannot mmap model file '" + path + "': " + std::strerror(error));
    }
    file->base_ = static_cast<const uint8_t*>(mapping);
    file->mapped_ = true;
    file->fd_ = fd;  // closed by the destructor, also when parse throws
    file->parse(verify_checksum, fd);
    return file;
}

std::unique_ptr<ModelFile> ModelFile::from_memory(const void* data, size_t size, bool verify_checksum) {
    if (data == nullptr) throw Error(Status::invalid_argument, "model buffer is null");
    if (size < kHeaderSize) corrupt("buffer has " + std::to_string(size) + " bytes, less than the 64-byte header");
    std::unique_ptr<ModelFile> file(new ModelFile());
    void* copy = std::aligned_alloc(kTensorAlignment, align_up(size, kTensorAlignment));
    if (copy == nullptr) throw Error(Status::out_of_memory, "cannot allocate " + std::to_string(size) + " bytes for the model");
    std::memcpy(copy, data, size);
    file->owned_ = {static_cast<uint8_t*>(copy), free_aligned};
    file->base_ = file->owned_.get();
    file->size_ = size;
    file->parse(verify_checksum, -1);
    return file;
}

ModelFile::~ModelFile() {
    if (mapped_) ::munmap(const_cast<uint8_t*>(base_), size_);
    if (fd_ >= 0) ::close(fd_);
}

void ModelFile::read(const TensorView& t, size_t offset, size_t size, void* out) const {
    if (offset > t.nbytes || size > t.nbytes - offset) throw Error(Status::internal_error, "read outside a tensor");
    const auto* from = static_cast<const uint8_t*>(t.data) + offset;
    if (fd_ < 0) {
        std::memcpy(out, from, size);
        return;
    }
    auto* to = static_cast<uint8_t*>(out);
    off_t position = static_cast<off_t>(from - base_);
    while (size > 0) {
        const ssize_t got = ::pread(fd_, to, size, position);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            throw Error(Status::io_error, std::string("cannot read the model file: ") + (got < 0 ? std::strerror(errno) : "it was truncated"));
        }
        to += got;
        position += got;
        size -= static_cast<size_t>(got);
    }
}

void ModelFile::release_pages(const TensorView& t) const {
    if (!mapped_ || t.data == nullptr) return;
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(t.data) + page - 1) / page * page;
    const uintptr_t end = (reinterpret_cast<uintptr_t>(t.data) + t.nbytes) / page * page;
    // Whole pages only (a neighbour may share the edge pages); a read-only private mapping refaults them from the file.
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

const TensorView& ModelFile::describe(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) corrupt("tensor '" + name + "' is missing");
    return it->second;
}

const TensorView& ModelFile::tensor(const std::string& name) const {
    const TensorView& view = describe(name);
    verify(name, view);
    return view;
}

void ModelFile::verify_all_tensors() const {
    {
        std::lock_guard<std::mutex> lock(verify_mutex_);
        if (padding_unchecked_) {
            check_padding(fd_);
            padding_unchecked_ = false;
        }
    }
    for (const auto& [name, view] : tensors_) {
        bool unchecked;
        {
            std::lock_guard<std::mutex> lock(verify_mutex_);
            unchecked = tensor_checksums_.count(name) != 0;
        }
        if (!unchecked) continue;
        verify(name, view);
        release_pages(view);  // nothing loaded it, so nothing reads it
    }
}

void ModelFile::verify(const std::string& name, const TensorView& view) const {
    std::lock_guard<std::mutex> lock(verify_mutex_);
    auto it = tensor_checksums_.find(name);
    if (it == tensor_checksums_.end()) return;  // checked already, or nothing to check
    // Through the mapping: the caller reads these pages next (and releases them when it is done).
    if (tensor_checksum(view.data, view.nbytes) != it->second)
        corrupt("checksum mismatch (the file is damaged): tensor '" + name + "'");
    tensor_checksums_.erase(it);
}

void ModelFile::check_padding(int fd) const {
    std::vector<std::pair<uint64_t, uint64_t>> spans;  // [begin, end) from the file start
    for (const auto& [name, view] : tensors_) {
        const uint64_t begin = static_cast<uint64_t>(static_cast<const uint8_t*>(view.data) - base_);
        spans.emplace_back(begin, begin + view.nbytes);
    }
    std::sort(spans.begin(), spans.end());
    FileHeader header;
    std::memcpy(&header, base_, sizeof header);
    uint64_t at = header.data_offset;
    std::vector<uint8_t> gap;
    auto check_gap = [&](uint64_t end) {
        if (end <= at) return;
        gap.resize(static_cast<size_t>(end - at));
        if (fd >= 0) {  // pread: touching the mapping here would map whole large folios of tensor data
            for (size_t done = 0; done < gap.size();) {
                const ssize_t got = ::pread(fd, gap.data() + done, gap.size() - done, static_cast<off_t>(at + done));
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) throw Error(Status::io_error, "cannot read the model file to verify it");
                done += static_cast<size_t>(got);
            }
        } else {
            std::memcpy(gap.data(), base_ + at, gap.size());
        }
        for (size_t i = 0; i < gap.size(); ++i)
            if (gap[i] != 0)
                corrupt("checksum mismatch (the file is damaged): byte " + std::to_string(at + i) +
                        " lies outside every tensor and is not zero");
    };
    for (const auto& [begin, end] : spans) {
        if (begin < at) corrupt("tensors overlap at byte " + std::to_string(begin));
        check_gap(begin);
        at = end;
    }
    check_gap(size_);
}

void ModelFile::parse(bool verify_checksum, int fd) {
    FileHeader header;
    std::memcpy(&header, base_, sizeof header);
    if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0) corrupt("bad magic (not an edgembed model file)");
    if (header.format_version < kOldestFormatVersion || header.format_version > kFormatVersion)
        throw Error(Status::unsupported_version, "model file format version " + std::to_string(header.format_version) +
                                                     " is not supported (this build reads versions " +
                                                     std::to_string(kOldestFormatVersion) + " to " +
                                                     std::to_string(kFormatVersion) + ")");
    const bool tensor_sums = header.format_version >= 2;
    format_version_ = header.format_version;
    if (header.header_size != kHeaderSize || header.metadata_offset != kHeaderSize) corrupt("bad header size");
    // The checksum covers everything after the header and every other header field is checked, so with
    // this one any single damaged bit is caught.
    if (header.reserved != 0) corrupt("reserved header field is not zero");
    if (header.metadata_size == 0 || header.metadata_size > kMaxMetadataBytes) corrupt("metadata size out of range");
    if (header.data_offset % kTensorAlignment != 0 || header.data_offset < kHeaderSize + header.metadata_size)
        corrupt("bad data offset");
    if (header.data_offset > size_ || header.data_size != size_ - header.data_offset)
        corrupt("file size " + std::to_string(size_) + " does not match the header (truncated or padded file)");
    // Version 2 sums the metadata here and each tensor when it is used; version 1 the whole file, now.
    if (verify_checksum) {
        const uint64_t sum = tensor_sums ? header_checksum(base_, size_)
                                         : checksum(fd, kHeaderSize, base_ + kHeaderSize, size_ - kHeaderSize);
        if (sum != header.checksum) corrupt("checksum mismatch (the file is damaged)");
    }

    // nlohmann's parser stops at a NUL as at the end of the input: refuse one, so that nothing can hide
    // behind it and metadata_size cannot grow into the zero padding unnoticed.
    if (std::memchr(base_ + kHeaderSize, 0, header.metadata_size) != nullptr) corrupt("metadata contains a NUL byte");
    const char* metadata_begin = reinterpret_cast<const char*>(base_ + kHeaderSize);
    Metadata parsed = parse_metadata(metadata_begin, metadata_begin + header.metadata_size);
    nlohmann::json& metadata = parsed.tree;
    if (!metadata.is_object() || !metadata.contains("config") || !metadata.contains("tensors") ||
        !metadata["tensors"].is_array())
        corrupt("metadata lacks 'config' or 'tensors'");
    config_ = model_config_from_json(metadata["config"], parsed.vocab ? &*parsed.vocab : nullptr);

    const uint8_t* data = base_ + header.data_offset;
    for (const nlohmann::json& entry : metadata["tensors"]) {
        try {
            const std::string name = entry.at("name").get<std::string>();
            TensorView view{};
            if (!dtype_from_name(entry.at("dtype").get<std::string>(), &view.dtype))
                corrupt("tensor '" + name + "' has an unknown dtype");
            view.shape = entry.at("shape").get<std::vector<int64_t>>();
            if (view.shape.empty() || view.shape.size() > kMaxTensorRank) corrupt("tensor '" + name + "' has a bad rank");
            uint64_t elements = 1;
            for (int64_t d : view.shape) {
                if (d <= 0 || static_cast<uint64_t>(d) > (header.data_size + 1) / elements)
                    corrupt("tensor '" + name + "' has a bad shape");
                elements *= static_cast<uint64_t>(d);
            }
            const uint64_t offset = entry.at("offset").get<uint64_t>();
            view.nbytes = entry.at("nbytes").get<uint64_t>();
            if (view.nbytes != elements * dtype_size(view.dtype))
                corrupt("tensor '" + name + "' size does not match its shape and dtype");
            if (offset % kTensorAlignment != 0) corrupt("tensor '" + name + "' is not 64-byte aligned");
            if (offset > header.data_size || view.nbytes > header.data_size - offset)
                corrupt("tensor '" + name + "' lies outside the file");
            view.data = data + offset;
            if (tensor_sums) {
                uint64_t sum = 0;
                if (!entry.contains("xxh3") || !entry["xxh3"].is_string() ||
                    !parse_tensor_checksum(entry["xxh3"].get<std::string>(), &sum))
                    corrupt("tensor '" + name + "' lacks its checksum ('xxh3': 16 hex digits)");
                if (verify_checksum) tensor_checksums_[name] = sum;
            }
            if (!tensors_.emplace(name, std::move(view)).second) corrupt("tensor '" + name + "' appears twice");
        } catch (const nlohmann::json::exception& e) {
            corrupt(std::string("bad tensor table entry: ") + e.what());
        }
    }
    padding_unchecked_ = tensor_sums && verify_checksum;  // verify_all_tensors() checks it, after the loader's own checks
}

}  // namespace edgembed::model_file
