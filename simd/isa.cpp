#include "simd/isa.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "base/error.h"

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace edgembed::simd {

const char* isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::sse2: return "sse2";
        case Isa::avx2: return "avx2";
        case Isa::avx512bw: return "avx512bw";
        case Isa::neon64: return "neon64";
    }
    return "?";
}

bool isa_from_name(std::string_view name, Isa* out) noexcept {
    for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64})
        if (name == isa_name(isa)) {
            *out = isa;
            return true;
        }
    return false;
}

bool isa_available(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return true;
#if defined(__x86_64__)
        // libgcc's __builtin_cpu_supports checks XGETBV, i.e. that the OS saves the wide registers.
        case Isa::sse2: return __builtin_cpu_supports("sse2");
        case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::avx512bw:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
#endif
#if defined(__aarch64__)
        case Isa::neon64: return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
#endif
        default: return false;
    }
}

bool cpu_has_arm_dotprod() noexcept {
#if defined(__aarch64__) && defined(HWCAP_ASIMDDP)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return false;
#endif
}

namespace {

std::atomic<int> g_cap{-1};
std::atomic<bool> g_capped{false};

Isa best_available() {
    for (Isa isa : {Isa::avx512bw, Isa::avx2, Isa::sse2, Isa::neon64})
        if (isa_available(isa)) return isa;
    return Isa::scalar;
}

Isa checked(Isa isa, const std::string& source) {
    if (!isa_available(isa))
        throw Error(Status::invalid_argument, source + " asks for ISA '" + isa_name(isa) +
                                                  "', which this CPU or build does not support (best available: " +
                                                  isa_name(best_available()) + ")");
    return isa;
}

Isa from_environment() {
    const char* forced = std::getenv("EDGEMBED_FORCE_ISA");
    if (forced == nullptr || *forced == '\0') return best_available();
    g_capped.store(true);
    Isa isa;
    if (!isa_from_name(forced, &isa))
        throw Error(Status::invalid_argument, std::string("EDGEMBED_FORCE_ISA='") + forced +
                                                  "' is not an ISA (scalar, sse2, avx2, avx512bw, neon64)");
    return checked(isa, "EDGEMBED_FORCE_ISA");
}

}  // namespace

Isa active_isa() {
    int cap = g_cap.load();
    if (cap < 0) {
        cap = static_cast<int>(from_environment());
        g_cap.store(cap);
    }
    return static_cast<Isa>(cap);
}

void set_isa_cap(Isa isa) {
    g_cap.store(static_cast<int>(checked(isa, "set_isa_cap")));
    g_capped.store(true);
}

bool isa_capped() {
    active_isa();
    return g_capped.load();
}

}  // namespace edgembed::simd
