#include "simd/kernels.h"

namespace edgembed::simd {

void fill_kernels_reference(Kernels& k);
#if defined(EDGEMBED_HAVE_X86_KERNELS)
void fill_kernels_sse2(Kernels& k);
void fill_kernels_avx2(Kernels& k);
void fill_kernels_avx512bw(Kernels& k);
#endif
#if defined(EDGEMBED_HAVE_NEON_KERNELS)
void fill_kernels_neon64(Kernels& k);
#endif

namespace {

// Only the tables of ISAs the CPU runs are filled: each fill function is compiled with its ISA's flags, so
// the compiler may use that ISA's instructions in the fill itself (GCC 12 stores avx512bw's table with zmm
// moves, SIGILL on an AVX2-only CPU).
struct Tables {
    Kernels reference{}, sse2{}, avx2{}, avx512bw{}, neon64{};
    Tables() {
        fill_kernels_reference(reference);
#if defined(EDGEMBED_HAVE_X86_KERNELS)
        if (isa_available(Isa::sse2)) fill_kernels_sse2(sse2);
        if (isa_available(Isa::avx2)) fill_kernels_avx2(avx2);
        if (isa_available(Isa::avx512bw)) fill_kernels_avx512bw(avx512bw);
#endif
#if defined(EDGEMBED_HAVE_NEON_KERNELS)
        if (isa_available(Isa::neon64)) fill_kernels_neon64(neon64);
#endif
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

}  // namespace

const Kernels& reference_kernels() { return tables().reference; }

const Kernels* kernels_for(Isa isa) {
    if (!isa_available(isa)) return nullptr;
    switch (isa) {
        case Isa::scalar: return &tables().reference;
        case Isa::sse2: return &tables().sse2;
        case Isa::avx2: return &tables().avx2;
        case Isa::avx512bw: return &tables().avx512bw;
        case Isa::neon64: return &tables().neon64;
    }
    return nullptr;
}

const Kernels& kernels() {
    // Resolved once per ISA; the active one is looked up per call so that set_isa_cap takes effect.
    static const Kernels* const by_isa[] = {kernels_for(Isa::scalar), kernels_for(Isa::sse2), kernels_for(Isa::avx2),
                                            kernels_for(Isa::avx512bw)};
    static const Kernels* const neon64 = kernels_for(Isa::neon64);
    const Isa isa = active_isa();
    return isa == Isa::neon64 ? *neon64 : *by_isa[static_cast<int>(isa)];
}

}  // namespace edgembed::simd
