#include "tools/convert/hf_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/error.h"

namespace edgembed::convert {

std::string join_path(const std::string& dir, const std::string& name) {
    if (name.empty()) return dir;
    if (dir.empty() || dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string HfFiles::read_text(const std::string& name, uint64_t limit) const {
    std::ifstream in(path(name), std::ios::binary);
    if (!in) {
        const int saved = errno;
        throw Error(saved == ENOENT ? Status::file_not_found : Status::io_error,
                    "cannot open " + display(name) + ": " + std::strerror(saved));
    }
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    if (size > limit)
        throw Error(Status::invalid_checkpoint, display(name) + ": " + std::to_string(size) + " bytes is more than the limit of " + std::to_string(limit));
    in.seekg(0);
    std::string text(static_cast<size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw Error(Status::io_error, "cannot read " + display(name));
    return text;
}

nlohmann::json HfFiles::read_json(const std::string& name) const {
    const std::string text = read_text(name, kMaxJsonBytes);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(Status::invalid_checkpoint, display(name) + ": not valid JSON (" + e.what() + ")");
    }
}

std::optional<nlohmann::json> HfFiles::read_json_if_present(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return read_json(name);
}

}  // namespace edgembed::convert
