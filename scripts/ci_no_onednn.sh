#!/usr/bin/env bash
# Builds edgembed on x86-64 without oneDNN (-DEDGEMBED_WITH_ONEDNN=OFF: quant/f32_gemm.cpp's portable
# GEMM, no OpenMP), checks that nothing links oneDNN, OpenMP or OpenCL, and runs the whole C++ test
# suite. This is the configuration of the ARM and Android builds, tested natively.
# --gemm-tests (what CI runs): builds the shipped binaries and only the tests of the code that oneDNN
# replaces (quant/: the f32 and int8 GEMMs, linear layers, weight packing, bf16 attention), and runs those.
# The rest of the suite runs without oneDNN in CI anyway, twice: under ASan + UBSan (ci_sanitizers.sh,
# clang) and on aarch64 under qemu (ci_aarch64.sh, gcc); the test files are most of this build's time.
# Needs what scripts/setup.sh installs (and its model file, for the tests that embed).
# Safe to rerun: the build dir is kept, so reruns are incremental.
# Usage: scripts/ci_no_onednn.sh [--gemm-tests]     env: EDGEMBED_NO_ONEDNN_BUILD_DIR (default build-noonednn)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_NO_ONEDNN_BUILD_DIR:-$ROOT/build-noonednn}
MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
CMAKE=/usr/bin/cmake
GEMM_TESTS=(test_int8_gemm test_linear test_weight_arena test_int8_weight_pack test_attention_bf16)
case ${1:-} in
  "") targets=(all) ;;
  --gemm-tests) targets=(edgembed edgembed-convert edgembed_shared "${GEMM_TESTS[@]}") ;;
  *) echo "usage: scripts/ci_no_onednn.sh [--gemm-tests]"; exit 2 ;;
esac

echo "== configure + build ($BUILD)"
start=$SECONDS
$CMAKE -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEMBED_WITH_ONEDNN=OFF \
  -DEDGEMBED_BUILD_BENCH=OFF -DEDGEMBED_BUILD_TESTS=ON >/dev/null
$CMAKE --build "$BUILD" -j "$(nproc)" --target "${targets[@]}"
echo "== build (${targets[*]}) took $((SECONDS - start)) s"

status=0
echo "== dependencies: no oneDNN, OpenMP or OpenCL"
scripts/check_no_onednn_deps.sh "$BUILD" || status=1

[ -f "$MODEL" ] && export EDGEMBED_MODEL=$MODEL
if [ "${targets[0]}" = all ]; then
  echo "== C++ tests (no oneDNN)"
  /usr/bin/ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)" || status=1
else
  for test in "${GEMM_TESTS[@]}"; do
    echo "== $test (no oneDNN)"
    "$BUILD/tests/$test" --gtest_brief=1 || status=1
  done
fi
if [ -f "$MODEL" ]; then
  line=$(echo "A man is playing a guitar." | "$BUILD/tools/cli/edgembed" embed -m "$MODEL" 2>&1 >/dev/null)
  case $line in
    *"gemm simd"*) echo "ok   CLI runs the simd GEMM (no oneDNN): $line" ;;
    *) echo "FAIL CLI does not report the simd GEMM: $line"; status=1 ;;
  esac
fi
exit $status
