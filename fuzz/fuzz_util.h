// Shared helpers of the libFuzzer targets: invariant checks that abort (libFuzzer then saves the input),
// a per-process scratch directory for readers that take a path, and splitting one input into parts.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace edgembed::fuzz {

// A broken invariant is a finding: print it and abort, so libFuzzer reports a crash and saves the input.
#define FUZZ_CHECK(condition, message)                                                                 \
    do {                                                                                               \
        if (!(condition)) {                                                                            \
            std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, #condition, \
                         std::string(message).c_str());                                                \
            std::abort();                                                                              \
        }                                                                                              \
    } while (0)

// EDGEMBED_FUZZ_VERBOSE=1 prints every refusal (to check that the seeds get past the parsers).
inline void refused(const std::exception& e) {
    static const bool verbose = std::getenv("EDGEMBED_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
}

// A directory of this process's own (tmpfs when there is one), removed at exit.
inline const std::string& scratch_dir() {
    static const std::string dir = [] {
        const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        if (const char* tmp = std::getenv("EDGEMBED_FUZZ_TMPDIR")) base = tmp;
        std::string pattern = std::string(base) + "/edgembed-fuzz-XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        static const std::string removed_at_exit = pattern;
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(removed_at_exit, ignored);
        });
        return pattern;
    }();
    return dir;
}

inline void write_file(const std::string& path, std::string_view bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    FUZZ_CHECK(out.good(), "cannot write " + path);
}

// Splits `input` at every `separator` (the parts never contain it).
inline std::vector<std::string_view> split(std::string_view input, std::string_view separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const size_t at = input.find(separator);
        if (at == std::string_view::npos) break;
        parts.push_back(input.substr(0, at));
        input.remove_prefix(at + separator.size());
    }
    parts.push_back(input);
    return parts;
}

}  // namespace edgembed::fuzz
