// Writes embeddings as JSON lines (one array per text, shortest round-trip float text) or as a
// NumPy .npy file (float32, C order, shape [texts, dim]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

namespace edgembed::cli {

void write_jsonl(std::ostream& out, const float* vectors, size_t rows, size_t dim);
void write_npy(std::ostream& out, const float* vectors, size_t rows, size_t dim);
void write_ids_jsonl(std::ostream& out, const std::vector<int32_t>& ids);

}  // namespace edgembed::cli
