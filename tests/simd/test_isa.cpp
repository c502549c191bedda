// CPU feature detection (simd/isa.cpp): the build's native vector ISA is found, and the Arm dot-product
// query agrees with what the CI says the (emulated) CPU has.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "simd/isa.h"

namespace edgembed::simd {
namespace {

TEST(IsaDetection, NamesRoundTrip) {
    for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512bw, Isa::neon64}) {
        Isa parsed = Isa::scalar;
        ASSERT_TRUE(isa_from_name(isa_name(isa), &parsed)) << isa_name(isa);
        EXPECT_EQ(parsed, isa);
    }
}

// Every x86-64 CPU has SSE2 and every aarch64 Linux CPU has Advanced SIMD: the kernels built for the
// target must be usable, never silently skipped.
TEST(IsaDetection, NativeVectorIsaIsAvailable) {
#if defined(__x86_64__)
    EXPECT_TRUE(isa_available(Isa::sse2));
    EXPECT_FALSE(isa_available(Isa::neon64));
#elif defined(__aarch64__)
    EXPECT_TRUE(isa_available(Isa::neon64));
    EXPECT_FALSE(isa_available(Isa::sse2));
#endif
    const char* forced = std::getenv("EDGEMBED_FORCE_ISA");
    if (forced == nullptr || *forced == '\0') {
        EXPECT_NE(active_isa(), Isa::scalar);
        std::printf("active ISA: %s, arm dotprod: %d\n", isa_name(active_isa()), cpu_has_arm_dotprod());
    }
}

// scripts/ci_aarch64.sh sets EDGEMBED_EXPECT_ARM_DOTPROD to 0 or 1 for the qemu CPU model it runs
// (cortex-a72: no, cortex-a76: yes), which proves the model reached the process.
TEST(IsaDetection, ArmDotprod) {
#if !defined(__aarch64__)
    EXPECT_FALSE(cpu_has_arm_dotprod());
#endif
    const char* expect = std::getenv("EDGEMBED_EXPECT_ARM_DOTPROD");
    if (expect != nullptr && *expect != '\0') {
        EXPECT_EQ(cpu_has_arm_dotprod(), std::string(expect) == "1");
    }
}

}  // namespace
}  // namespace edgembed::simd
