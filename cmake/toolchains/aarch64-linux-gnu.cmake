# Cross build for 64-bit ARM Linux (Debian multiarch: crossbuild-essential-arm64 and the :arm64 -dev
# packages; scripts/ci_aarch64.sh installs them). Tests run through qemu-user:
#   cmake -S . -B build-aarch64 -G Ninja --toolchain cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DEDGEMBED_WITH_ONEDNN=OFF -DEDGEMBED_BUILD_BENCH=OFF
#   QEMU_CPU=cortex-a72 ctest --test-dir build-aarch64     # no dotprod
#   QEMU_CPU=cortex-a76 ctest --test-dir build-aarch64     # dotprod
# The qemu CPU model: leave EDGEMBED_QEMU_CPU empty (the default) and qemu-aarch64 reads QEMU_CPU from
# the environment at each run (unset: qemu's "max"), so one build serves every model. Setting
# EDGEMBED_QEMU_CPU bakes "-cpu <model>" into the emulator command, which then wins over QEMU_CPU.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Packages found under /usr/lib/aarch64-linux-gnu, never the host's x86-64 ones. Keep a caller's
# PKG_CONFIG_LIBDIR (ci_aarch64.sh puts unpacked non-multiarch packages first).
if(NOT DEFINED ENV{PKG_CONFIG_LIBDIR})
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
endif()

# No "-L /usr/aarch64-linux-gnu": with it qemu 7.2 hangs in pthread_create (docs/toolchain.md); without
# it qemu uses the multiarch loader of libc6:arm64.
set(EDGEMBED_QEMU_CPU "" CACHE STRING "qemu -cpu model for running tests (empty: QEMU_CPU from the environment)")
if(EDGEMBED_QEMU_CPU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "/usr/bin/qemu-aarch64-static;-cpu;${EDGEMBED_QEMU_CPU}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR "/usr/bin/qemu-aarch64-static")
endif()
