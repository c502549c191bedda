// The project's own int8 GEMM micro-kernels, one file per ISA (quant/arch/<kernel>_<isa>.cpp, each compiled
// with that ISA's flags), and the table int8_gemm.cpp builds its packed back ends from. Internal to
// quant/: include quant/int8_gemm.h for the public interface.
//
// Every kernel computes C[m, n] = sum_k A[m, k] * W[n, k] exactly in int32: no intermediate saturates for
// any int8 / u8 input, and the int32 sums are exact for k <= 65536. W ([n, k] row-major) is packed once,
// at construction, into the kernel's tile layout: blocks of `block_columns` output channels, zero-padded
// in n and k, so the blocks from b on are the packed weights of channels b * block_columns.. (how
// PackedInt8Gemm splits the columns among threads). A ([m, k] row-major) is read in place and never
// past its end; only the m x n entries of C (row stride ldc) are written.
//
// The kernel files define nothing but these functions (no inline library templates: code compiled with
// -mavx2 must not be picked by the linker for a caller on an older CPU); buffers are allocated by the
// caller.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgembed::quant {

// One packed int8 GEMM kernel; int8_gemm.cpp's table lists them, best first within an architecture.
struct Int8GemmKernel {
    const char* name;           // the back end's name (Int8Gemm::name(), int8_gemm_backend())
    int32_t activation_offset;  // 128: s8 x s8 kernel, the back end shifts A to s8 in place first; 0: u8 x s8
    size_t block_columns;       // output channels per packed block
    bool (*available)();        // the CPU (and OS) support the instructions; the ISA cap is the caller's business
    size_t (*packed_bytes)(size_t n, size_t k);
    void (*pack)(const int8_t* w, size_t n, size_t k, int8_t* packed);  // writes all packed_bytes(n, k)
    size_t (*scratch_bytes)(size_t m, size_t k);                        // per run, 0 when none
    // `a` holds u8 activations, or s8 ones after the shift when activation_offset is 128.
    void (*run)(const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc,
                void* scratch);
};

// The packing every kernel below uses (int8_weight_pack.cpp, baseline flags): W [n, k] as blocks of nr
// output channels, up(n, nr) in all; within a block, per step of kw k, the nr channels' kw consecutive
// bytes; k padded to kpad (a multiple of kw, >= k). Channels past n and k past k are zeros. Writes exactly
// up(n, nr) * kpad bytes.
void pack_interleaved(const int8_t* w, size_t n, size_t k, size_t nr, size_t kw, size_t kpad, int8_t* packed);

#if defined(EDGEMBED_HAVE_X86_KERNELS)
// AVX2 (-mavx2): int8 sign-extended to int16 and vpmaddwd, whose int32 sum of two products is exact
// (vpmaddubsw would saturate). Tiles of 4 rows x 16 channels; W in blocks of 16 channels x 2 k; A widened
// to int16 pairs per 4-row panel in the scratch.
size_t s8_gemm_s32_avx2_packed_bytes(size_t n, size_t k);
void s8_gemm_s32_avx2_pack(const int8_t* w, size_t n, size_t k, int8_t* packed);
size_t s8_gemm_s32_avx2_scratch_bytes(size_t m, size_t k);
void s8_gemm_s32_avx2(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc,
                      void* scratch);

// AVX512-VNNI (-mavx512f -mavx512bw -mavx512vnni): vpdpbusd (the non-saturating form) on u8 activations as
// they are (offset 0) x s8 weights, four products per int32 lane. Tiles of 8 rows x 48 channels; W in
// blocks of 48 channels x 4 k. No scratch.
size_t u8s8_gemm_s32_avx512vnni_packed_bytes(size_t n, size_t k);
void u8s8_gemm_s32_avx512vnni_pack(const int8_t* w, size_t n, size_t k, int8_t* packed);
void u8s8_gemm_s32_avx512vnni(const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c,
                              size_t ldc);
#endif

#if defined(EDGEMBED_HAVE_NEON_KERNELS)
// Armv8.0 NEON: vmull_s8 (exact int16 products) + vpadalq_s16 (pairwise into int32); never vmlal_s8, whose
// int16 sum of two products overflows at (-128)^2 + (-128)^2. Tiles of 4 rows x 4 channels; W in blocks
// of 4 channels x 16 k. No scratch.
size_t s8_gemm_s32_neon_packed_bytes(size_t n, size_t k);
void s8_gemm_s32_neon_pack(const int8_t* w, size_t n, size_t k, int8_t* packed);
void s8_gemm_s32_neon(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc);

// Armv8.2 dot product: sdot by lane (vdotq_laneq_s32), built with a function-level target attribute; call
// only when simd::cpu_has_arm_dotprod(). Tiles of 4 rows x 16 channels; W in blocks of 16 channels x 4 k.
size_t s8_gemm_s32_neondot_packed_bytes(size_t n, size_t k);
void s8_gemm_s32_neondot_pack(const int8_t* w, size_t n, size_t k, int8_t* packed);
void s8_gemm_s32_neondot(const int8_t* a, size_t m, size_t n, size_t k, const int8_t* packed, int32_t* c, size_t ldc);
#endif

}  // namespace edgembed::quant
