// The files of a Hugging Face model directory, named in messages relative to the directory given on the
// command line: existence checks and size-limited reads of text and JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace edgembed::convert {

inline constexpr uint64_t kMaxJsonBytes = 256ull << 20;  // tokenizer.json of a large vocabulary is tens of MB
inline constexpr uint64_t kMaxVocabBytes = 64ull << 20;

std::string join_path(const std::string& dir, const std::string& name);
bool is_regular_file(const std::string& path);
bool is_directory(const std::string& path);

class HfFiles {
public:
    HfFiles(std::string root, std::string sub) : root_(std::move(root)), sub_(std::move(sub)) {}

    std::string path(const std::string& name) const { return join_path(join_path(root_, sub_), name); }
    std::string display(const std::string& name) const { return join_path(sub_, name); }
    bool has(const std::string& name) const { return is_regular_file(path(name)); }

    // Throws Error: file_not_found / io_error, invalid_checkpoint over `limit` bytes or for invalid JSON.
    std::string read_text(const std::string& name, uint64_t limit) const;
    nlohmann::json read_json(const std::string& name) const;
    std::optional<nlohmann::json> read_json_if_present(const std::string& name) const;

private:
    std::string root_, sub_;
};

}  // namespace edgembed::convert
