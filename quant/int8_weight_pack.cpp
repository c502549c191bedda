#include <cstring>

#include "quant/int8_gemm_kernels.h"

namespace edgembed::quant {
namespace {

// Writes the output in order, each byte once: the packed buffer's pages are first touched here, one after
// the other, and every source row is read as a stream (writing channel by channel strided through the
// buffer made packing most of an int8 model's load time).
template <size_t Kw>
void pack_fixed(const int8_t* w, size_t n, size_t k, size_t nr, size_t kpad, int8_t* out) {
    for (size_t j0 = 0; j0 < n; j0 += nr)
        for (size_t q = 0; q < kpad; q += Kw)
            for (size_t j = j0; j < j0 + nr; ++j, out += Kw) {
                if (j < n && q + Kw <= k) {
                    std::memcpy(out, w + j * k + q, Kw);
                } else {
                    const size_t valid = j < n && q < k ? k - q : 0;
                    for (size_t b = 0; b < Kw; ++b) out[b] = b < valid ? w[j * k + q + b] : 0;
                }
            }
}

}  // namespace

void pack_interleaved(const int8_t* w, size_t n, size_t k, size_t nr, size_t kw, size_t kpad, int8_t* packed) {
    switch (kw) {
        case 2: return pack_fixed<2>(w, n, k, nr, kpad, packed);
        case 4: return pack_fixed<4>(w, n, k, nr, kpad, packed);
        case 16: return pack_fixed<16>(w, n, k, nr, kpad, packed);
        default: break;
    }
    for (size_t j0 = 0; j0 < n; j0 += nr)
        for (size_t q = 0; q < kpad; q += kw)
            for (size_t j = j0; j < j0 + nr; ++j, packed += kw)
                for (size_t b = 0; b < kw; ++b) packed[b] = j < n && q + b < k ? w[j * k + q + b] : 0;
}

}  // namespace edgembed::quant
