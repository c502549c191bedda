#include "tools/convert/torch_bin.h"

#include <zip.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "base/error.h"
#include "tools/convert/pickle.h"

namespace edgembed::convert {

namespace {

struct ZipCloser {
    void operator()(zip_t* z) const { zip_discard(z); }  // read-only: never writes anything back
};
struct ZipFileCloser {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class Archive {
public:
    Archive(const std::string& path, std::string file) : file_(std::move(file)) {
        int code = 0;
        zip_.reset(zip_open(path.c_str(), ZIP_RDONLY, &code));
        if (!zip_) {
            zip_error_t error;
            zip_error_init_with_code(&error, code);
            const std::string message = zip_error_strerror(&error);
            zip_error_fini(&error);
            throw Error(Status::invalid_checkpoint, file_ + ": not a readable zip archive (" + message + ")");
        }
    }

    zip_t* get() const { return zip_.get(); }

    // Index of an entry, or -1.
    zip_int64_t locate(const std::string& name) const { return zip_name_locate(zip_.get(), name.c_str(), 0); }

    uint64_t entry_size(zip_int64_t index) const {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(index), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            throw Error(Status::invalid_checkpoint, file_ + ": cannot stat zip entry " + std::to_string(index));
        return st.size;
    }

    // Reads exactly `size` bytes (the declared size, already checked by the caller) and makes sure the
    // entry has no more.
    std::vector<uint8_t> read(zip_int64_t index, uint64_t size, const std::string& name) const {
        std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
        if (!f) throw Error(Status::invalid_checkpoint, file_ + ": cannot open zip entry '" + name + "': " + zip_strerror(zip_.get()));
        std::vector<uint8_t> out(static_cast<size_t>(size));
        uint64_t done = 0;
        while (done < size) {
            const zip_int64_t n = zip_fread(f.get(), out.data() + done, size - done);
            if (n < 0) throw Error(Status::invalid_checkpoint, file_ + ": cannot read zip entry '" + name + "': " + zip_file_strerror(f.get()));
            if (n == 0) break;
            done += static_cast<uint64_t>(n);
        }
        uint8_t extra;
        if (done != size || zip_fread(f.get(), &extra, 1) != 0)
            throw Error(Status::invalid_checkpoint, file_ + ": zip entry '" + name + "' does not have its declared size");
        return out;
    }

private:
    std::string file_;
    std::unique_ptr<zip_t, ZipCloser> zip_;
};

// Refuses legacy torch files (a bare pickle stream) and anything else that is not a zip, with a
// message that says what to do instead.
void check_zip_magic(const std::string& path, const std::string& file) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int saved = errno;
        throw Error(saved == ENOENT ? Status::file_not_found : Status::io_error, "cannot open '" + path + "': " + std::strerror(saved));
    }
    unsigned char magic[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(magic), 4);
    if (in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) return;
    if (in.gcount() >= 1 && magic[0] == 0x80)
        throw Error(Status::invalid_checkpoint,
                    file + ": legacy (non-zip) PyTorch serialization is not supported; re-save it with torch.save() from "
                           "torch >= 1.6 or convert it to safetensors");
    throw Error(Status::invalid_checkpoint, file + ": not a PyTorch zip checkpoint");
}

bool is_contiguous(const PickledTensor& t) {
    int64_t expected = 1;
    for (size_t i = t.shape.size(); i-- > 0;) {
        if (t.shape[i] != 1 && t.stride[i] != expected) return false;
        expected *= t.shape[i];
    }
    return true;
}

}  // namespace

TensorSet read_torch_bin(const std::string& path) {
    const std::string file = base_name(path);
    auto fail = [&](const std::string& what) { return Error(Status::invalid_checkpoint, file + ": " + what); };
    check_zip_magic(path, file);
    Archive archive(path, file);

    // The one "<archive>/data.pkl" at the top level names the archive directory.
    std::string prefix;
    const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
    for (zip_int64_t i = 0; i < entries; ++i) {
        const char* name = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0);
        if (!name) continue;
        const std::string n = name;
        const size_t slash = n.find('/');
        if (slash == std::string::npos || slash == 0 || n.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
        if (!prefix.empty() && prefix != n.substr(0, slash)) throw fail("more than one data.pkl in the archive");
        prefix = n.substr(0, slash);
    }
    if (prefix.empty()) throw fail("no <archive>/data.pkl entry: not a PyTorch checkpoint");

    const zip_int64_t byteorder = archive.locate(prefix + "/byteorder");
    if (byteorder >= 0) {
        const uint64_t size = archive.entry_size(byteorder);
        const std::vector<uint8_t> order = size <= 16 ? archive.read(byteorder, size, "byteorder") : std::vector<uint8_t>();
        if (std::string(order.begin(), order.end()) != "little") throw fail("only little-endian checkpoints are supported");
    }

    const std::string pkl_name = prefix + "/data.pkl";
    const zip_int64_t pkl = archive.locate(pkl_name);
    const uint64_t pkl_size = archive.entry_size(pkl);
    if (pkl_size > kMaxPickleBytes)
        throw fail("data.pkl has " + std::to_string(pkl_size) + " bytes, more than the limit of " + std::to_string(kMaxPickleBytes));
    const std::vector<uint8_t> pickle = archive.read(pkl, pkl_size, pkl_name);
    const std::vector<PickledTensor> pickled = unpickle_state_dict(pickle.data(), pickle.size(), file);

    // Storages, read once each (tied weights share one).
    std::map<std::string, std::shared_ptr<std::vector<uint8_t>>> storages;
    std::map<std::string, PickledStorage> storage_info;
    TensorSet set;
    for (const PickledTensor& t : pickled) {
        const PickledStorage& s = t.storage;
        const size_t esize = source_dtype_size(s.dtype);
        auto known = storage_info.find(s.key);
        if (known != storage_info.end()) {
            if (known->second.dtype != s.dtype || known->second.numel != s.numel)
                throw fail("storage '" + s.key + "' is described twice with different types or sizes");
        } else {
            const std::string entry = prefix + "/data/" + s.key;
            const zip_int64_t index = archive.locate(entry);
            if (index < 0) throw fail("tensor '" + t.name + "' needs the missing zip entry '" + entry + "'");
            uint64_t expected = 0;
            if (__builtin_mul_overflow(s.numel, static_cast<uint64_t>(esize), &expected))
                throw fail("storage '" + s.key + "' is absurdly large");
            const uint64_t actual = archive.entry_size(index);
            if (actual != expected)
                throw fail("storage '" + s.key + "' has " + std::to_string(actual) + " bytes, its " + std::to_string(s.numel) + " " +
                           source_dtype_name(s.dtype) + " elements need " + std::to_string(expected));
            storages[s.key] = std::make_shared<std::vector<uint8_t>>(archive.read(index, actual, entry));
            storage_info.emplace(s.key, s);
        }
        const std::vector<uint8_t>& bytes = *storages[s.key];
        const uint64_t count = element_count(t.shape, file + ": tensor '" + t.name + "'");
        // Only a view that reuses elements (stride 0, e.g. expand(), or overlapping strides) can address
        // more elements than its storage holds; a state dict never needs one, and gathering it would let
        // a file of a few bytes allocate any amount of memory.
        if (count > s.numel)
            throw fail("tensor '" + t.name + "' has " + std::to_string(count) + " elements but its storage '" + s.key +
                       "' holds " + std::to_string(s.numel) + " (an expanded or overlapping view is not supported)");
        if (count == 0 || is_contiguous(t)) {
            set.add({t.name, s.dtype, t.shape, bytes.data() + (count ? t.storage_offset * esize : 0), count * esize, file});
            continue;
        }
        // A strided view (e.g. a transposed tensor): gather it into its own row-major buffer.
        auto gathered = std::make_shared<std::vector<uint8_t>>(count * esize);
        std::vector<int64_t> index(t.shape.size(), 0);
        for (uint64_t i = 0; i < count; ++i) {
            uint64_t element = t.storage_offset;
            for (size_t d = 0; d < index.size(); ++d) element += static_cast<uint64_t>(index[d] * t.stride[d]);
            std::memcpy(gathered->data() + i * esize, bytes.data() + element * esize, esize);
            for (size_t d = index.size(); d-- > 0;) {
                if (++index[d] < t.shape[d]) break;
                index[d] = 0;
            }
        }
        set.add({t.name, s.dtype, t.shape, gathered->data(), gathered->size(), file});
        set.keep_alive(gathered);
    }
    for (auto& [key, bytes] : storages) set.keep_alive(bytes);
    return set;
}

}  // namespace edgembed::convert
