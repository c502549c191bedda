#include "runtime/model_file/writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/model_file/checksum.h"
#include "runtime/model_file/format.h"

namespace edgembed::model_file {

void Writer::add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                        const void* data, size_t nbytes) {
    if (name.empty()) throw Error(Status::invalid_argument, "tensor with an empty name");
    for (const Tensor& t : tensors_)
        if (t.name == name) throw Error(Status::invalid_argument, "tensor '" + name + "' added twice");
    if (shape.empty() || shape.size() > kMaxTensorRank)
        throw Error(Status::invalid_argument, "tensor '" + name + "' has rank " + std::to_string(shape.size()));
    uint64_t elements = 1;
    for (int64_t d : shape) {
        if (d <= 0) throw Error(Status::invalid_argument, "tensor '" + name + "' has a non-positive dimension");
        elements *= static_cast<uint64_t>(d);
    }
    if (elements * dtype_size(dtype) != nbytes)
        throw Error(Status::invalid_argument, "tensor '" + name + "' has " + std::to_string(nbytes) +
                                                  " bytes, its shape needs " + std::to_string(elements * dtype_size(dtype)));
    const auto* bytes = static_cast<const uint8_t*>(data);
    tensors_.push_back({name, dtype, shape, std::vector<uint8_t>(bytes, bytes + nbytes)});
}

namespace {

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

std::vector<uint8_t> Writer::serialize() const {
    nlohmann::json table = nlohmann::json::array();
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
        offset = align_up(offset, kTensorAlignment);
        table.push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape},
                         {"offset", offset}, {"nbytes", t.bytes.size()},
                         {"xxh3", tensor_checksum_hex(tensor_checksum(t.bytes.data(), t.bytes.size()))}});
        offset += t.bytes.size();
    }
    nlohmann::json config_json;
    to_json(config_json, config_);
    const std::string metadata = nlohmann::json{{"config", config_json}, {"tensors", table}}.dump();

    FileHeader header{};
    std::memcpy(header.magic, kMagic, sizeof kMagic);
    header.format_version = kFormatVersion;
    header.header_size = kHeaderSize;
    header.metadata_offset = kHeaderSize;
    header.metadata_size = metadata.size();
    header.data_offset = align_up(kHeaderSize + metadata.size(), kTensorAlignment);
    header.data_size = offset;

    std::vector<uint8_t> file(header.data_offset + header.data_size, 0);
    std::memcpy(file.data() + kHeaderSize, metadata.data(), metadata.size());
    for (size_t i = 0; i < tensors_.size(); ++i) {
        const uint64_t at = header.data_offset + table[i]["offset"].get<uint64_t>();
        std::memcpy(file.data() + at, tensors_[i].bytes.data(), tensors_[i].bytes.size());
    }
    std::memcpy(file.data(), &header, sizeof header);
    header.checksum = header_checksum(file.data(), file.size());
    std::memcpy(file.data(), &header, sizeof header);
    return file;
}

void Writer::write(const std::string& path) const { write_file_atomically(path, serialize()); }

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    bool ok = false;
    {
        std::unique_ptr<FILE, FileCloser> file(std::fopen(temporary.c_str(), "wb"));
        if (file) {
            ok = (bytes.empty() || std::fwrite(bytes.data(), bytes.size(), 1, file.get()) == 1) &&
                 std::fflush(file.get()) == 0 && ::fsync(::fileno(file.get())) == 0;
            ok = (std::fclose(file.release()) == 0) && ok;
        }
    }
    if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        std::remove(temporary.c_str());
        throw Error(Status::io_error, "cannot write model file '" + path + "': " + std::strerror(saved));
    }
}

}  // namespace edgembed::model_file
