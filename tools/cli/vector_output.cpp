#include "tools/cli/vector_output.h"

#include <charconv>
#include <string>

namespace edgembed::cli {

void write_jsonl(std::ostream& out, const float* vectors, size_t rows, size_t dim) {
    std::string line;
    char number[32];
    for (size_t r = 0; r < rows; ++r) {
        line.assign(1, '[');
        for (size_t i = 0; i < dim; ++i) {
            if (i) line += ',';
            const auto result = std::to_chars(number, number + sizeof number, vectors[r * dim + i]);
            line.append(number, result.ptr);
        }
        line += "]\n";
        out << line;
    }
}

void write_npy(std::ostream& out, const float* vectors, size_t rows, size_t dim) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                         std::to_string(dim) + "), }";
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, '\n'-ended.
    const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
    header.append(total - 10 - header.size() - 1, ' ');
    header += '\n';
    const uint16_t length = static_cast<uint16_t>(header.size());
    out.write("\x93NUMPY\x01\x00", 8);
    const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
    out.write(length_bytes, 2);
    out << header;
    out.write(reinterpret_cast<const char*>(vectors), static_cast<std::streamsize>(rows * dim * sizeof(float)));
}

void write_ids_jsonl(std::ostream& out, const std::vector<int32_t>& ids) {
    std::string line(1, '[');
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) line += ',';
        line += std::to_string(ids[i]);
    }
    line += "]\n";
    out << line;
}

}  // namespace edgembed::cli
