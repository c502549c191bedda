#include "tools/cli/vector_output.h"

#include <charconv>
#include <string>

#include "base/error.h"

namespace edgembed::cli {
namespace {

// The .npy header of a [rows, dim] float32 array: magic, version 1.0, header length, then the header dict
// padded with spaces to `total` bytes in all ('\n'-ended); total = 0 pads to the next multiple of 64.
std::string npy_header(size_t rows, size_t dim, size_t total) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(dim) + "), }";
    if (total == 0) total = (10 + dict.size() + 1 + 63) / 64 * 64;
    dict.append(total - 10 - dict.size() - 1, ' ');
    dict += '\n';
    const uint16_t length = static_cast<uint16_t>(dict.size());
    std::string header("\x93NUMPY\x01\x00", 8);
    header += static_cast<char>(length & 0xff);
    header += static_cast<char>(length >> 8);
    return header + dict;
}

}  // namespace

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

NpyWriter::NpyWriter(std::ostream& out, size_t dim) : out_(out), dim_(dim), start_(out.tellp()) {
    if (start_ == std::streampos(-1))
        throw Error(Status::invalid_argument,
                    "--output npy needs an output it can seek in (-o FILE, or stdout redirected to a file): the row "
                    "count in the header is written last; use --output jsonl for a pipe");
    // Room for the largest row count, so that the final header has the same length.
    out_ << npy_header(SIZE_MAX, dim_, 0);
}

void NpyWriter::write(const float* vectors, size_t rows) {
    out_.write(reinterpret_cast<const char*>(vectors), static_cast<std::streamsize>(rows * dim_ * sizeof(float)));
    rows_ += rows;
}

void NpyWriter::finish() {
    const std::string placeholder = npy_header(SIZE_MAX, dim_, 0);
    const std::streampos end = out_.tellp();
    out_.seekp(start_);
    out_ << npy_header(rows_, dim_, placeholder.size());
    out_.seekp(end);
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
