// Instruction sets the kernels are built for, detected once at start-up (with the OS support check),
// capped by EDGEMBED_FORCE_ISA or set_isa_cap().
#pragma once

#include <string_view>

namespace edgembed::simd {

// Ordered from least to most capable within an architecture family.
enum class Isa : int { scalar = 0, sse2 = 1, avx2 = 2, avx512bw = 3, neon64 = 10 };

const char* isa_name(Isa isa) noexcept;
bool isa_from_name(std::string_view name, Isa* out) noexcept;
// True when this build has kernels for `isa` and the CPU and OS support it.
bool isa_available(Isa isa) noexcept;
// The best available ISA, or EDGEMBED_FORCE_ISA when set. Throws Error(invalid_argument) when the forced
// ISA is unknown or unavailable, so a misconfigured run fails loudly instead of running something else.
Isa active_isa();
// Caps the ISA at run time (the API call behind EDGEMBED_FORCE_ISA). Throws as above. Call it before the
// first model is loaded: GEMM back ends take the cap when they first start.
void set_isa_cap(Isa isa);
// True when the ISA was capped (EDGEMBED_FORCE_ISA or set_isa_cap) rather than detected.
bool isa_capped();

// True when the CPU has the Armv8.2 dot-product instructions (SDOT/UDOT, HWCAP_ASIMDDP); always false
// off aarch64. Check it before putting a vdotq_s32 kernel in a dispatch table.
bool cpu_has_arm_dotprod() noexcept;

}  // namespace edgembed::simd
