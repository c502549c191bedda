// Writes embeddings as JSON lines (one array per text, shortest round-trip float text) or as a
// NumPy .npy file (float32, C order, shape [texts, dim]), all at once or a chunk of rows at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

namespace edgembed::cli {

void write_jsonl(std::ostream& out, const float* vectors, size_t rows, size_t dim);
void write_ids_jsonl(std::ostream& out, const std::vector<int32_t>& ids);

// A .npy file written row chunk after row chunk: the header, whose row count is not known yet, is written
// with room for any count and rewritten by finish(). The stream must be seekable (a file, not a pipe):
// otherwise the constructor throws Error(invalid_argument).
class NpyWriter {
public:
    NpyWriter(std::ostream& out, size_t dim);
    void write(const float* vectors, size_t rows);
    // Writes the final row count into the header and leaves the stream at the end.
    void finish();

private:
    std::ostream& out_;
    size_t dim_, rows_ = 0;
    std::streampos start_;
};

}  // namespace edgembed::cli
