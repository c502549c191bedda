#include "tools/convert/checkpoint_tensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace edgembed::convert {

const char* source_dtype_name(SourceDType dtype) noexcept {
    switch (dtype) {
        case SourceDType::f32: return "F32";
        case SourceDType::f16: return "F16";
        case SourceDType::bf16: return "BF16";
        case SourceDType::i64: return "I64";
    }
    return "?";
}

size_t source_dtype_size(SourceDType dtype) noexcept {
    switch (dtype) {
        case SourceDType::f32: return 4;
        case SourceDType::f16: return 2;
        case SourceDType::bf16: return 2;
        case SourceDType::i64: return 8;
    }
    return 0;
}

void TensorSet::add(SourceTensor tensor) {
    auto [it, inserted] = index_.emplace(tensor.name, tensors_.size());
    if (!inserted) {
        const SourceTensor& first = tensors_[it->second];
        throw Error(Status::invalid_checkpoint, "tensor '" + tensor.name + "' appears twice (in " + first.file +
                                                    " and " + tensor.file + ")");
    }
    tensors_.push_back(std::move(tensor));
}

void TensorSet::merge(TensorSet&& other) {
    for (SourceTensor& t : other.tensors_) add(std::move(t));
    for (auto& owner : other.owners_) owners_.push_back(std::move(owner));
    other.tensors_.clear();
    other.index_.clear();
    other.owners_.clear();
}

const SourceTensor* TensorSet::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

uint64_t element_count(const std::vector<int64_t>& shape, const std::string& what) {
    constexpr uint64_t kLimit = uint64_t{1} << 62;
    uint64_t count = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error(Status::invalid_checkpoint, what + " has a negative dimension " + shape_string(shape));
        if (d != 0 && count > kLimit / static_cast<uint64_t>(d))
            throw Error(Status::invalid_checkpoint, what + " has an absurdly large shape " + shape_string(shape));
        count *= static_cast<uint64_t>(d);
    }
    return count;
}

std::string shape_string(const std::vector<int64_t>& shape) {
    std::string out = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(shape[i]);
    }
    return out + "]";
}

float f16_to_f32(uint16_t h) noexcept {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;  // +-0
        } else {          // subnormal: normalize
            uint32_t shift = 0;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                ++shift;
            }
            bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // Inf / NaN (payload kept)
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}

float bf16_to_f32(uint16_t h) noexcept {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}

std::vector<float> to_f32(const SourceTensor& t) {
    const size_t n = t.nbytes / source_dtype_size(t.dtype);
    std::vector<float> out(n);
    switch (t.dtype) {
        case SourceDType::f32:
            if (n) std::memcpy(out.data(), t.data, n * sizeof(float));
            break;
        case SourceDType::f16:
        case SourceDType::bf16: {
            const bool half = t.dtype == SourceDType::f16;
            for (size_t i = 0; i < n; ++i) {
                uint16_t bits;
                std::memcpy(&bits, t.data + 2 * i, 2);
                out[i] = half ? f16_to_f32(bits) : bf16_to_f32(bits);
            }
            break;
        }
        case SourceDType::i64:
            throw Error(Status::invalid_weights, "tensor '" + t.name + "' has dtype I64, a floating-point tensor is needed");
    }
    return out;
}

namespace {

struct Mapping {
    void* address = nullptr;
    size_t size = 0;
    ~Mapping() {
        if (address) ::munmap(address, size);
    }
};

}  // namespace

std::shared_ptr<const void> map_file(const std::string& path, const uint8_t** data, size_t* size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int saved = errno;
        throw Error(saved == ENOENT ? Status::file_not_found : Status::io_error,
                    "cannot open '" + path + "': " + std::strerror(saved));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(Status::io_error, "'" + path + "' is not a regular file");
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->size = static_cast<size_t>(st.st_size);
    if (mapping->size > 0) {
        void* address = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED) {
            const int saved = errno;
            ::close(fd);
            throw Error(Status::io_error, "cannot map '" + path + "': " + std::strerror(saved));
        }
        mapping->address = address;
    }
    ::close(fd);
    *data = static_cast<const uint8_t*>(mapping->address);
    *size = mapping->size;
    return mapping;
}

std::string base_name(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const size_t slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace edgembed::convert
