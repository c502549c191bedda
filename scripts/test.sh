#!/usr/bin/env bash
# Runs every test: the C++ suite (ctest) and the Python suite (pytest: tokenizer parity, vector
# parity and TempScale against sentence-transformers, converter end to end), then the portability builds
# (no oneDNN; aarch64 under qemu) and the robustness jobs (sanitizers, fuzzing). Sets up first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
start=$SECONDS
scripts/setup.sh --no-demo
echo "== set-up took $((SECONDS - start)) s"

echo "== C++ tests"
start=$SECONDS
(cd "$BUILD" && /usr/bin/ctest --output-on-failure -j "$(nproc)")
echo "== C++ tests took $((SECONDS - start)) s"

echo "== Python tests"
export EDGEMBED_BIN=$BUILD/tools/cli/edgembed
export EDGEMBED_CONVERT=$BUILD/tools/convert/edgembed-convert
export EDGEMBED_MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
start=$SECONDS
.venv/bin/python -m pytest -q --durations=40 tests/python "$@"
echo "== Python tests took $((SECONDS - start)) s"

# Portability: the no-oneDNN configuration (the one ARM and Android use) natively, then the aarch64
# cross build with its C++ suite under qemu (cortex-a72 and cortex-a76). EDGEMBED_TEST_PORTABILITY=0
# skips both for a quick local run; CI runs them.
if [ "${EDGEMBED_TEST_PORTABILITY:-1}" != 0 ]; then
  start=$SECONDS
  echo "== C++ tests without oneDNN (x86-64): scripts/ci_no_onednn.sh"
  scripts/ci_no_onednn.sh
  echo "== no-oneDNN step took $((SECONDS - start)) s"
  start=$SECONDS
  echo "== C++ tests on aarch64 (cross build, qemu): scripts/ci_aarch64.sh"
  scripts/ci_aarch64.sh
  echo "== aarch64 step took $((SECONDS - start)) s"
fi

# Robustness: the C++ suite under ASan + UBSan + LSan and the concurrency test under TSan, then 60 s of
# libFuzzer per fuzz target. EDGEMBED_TEST_ROBUSTNESS=0 skips both for a quick local run; CI runs them.
if [ "${EDGEMBED_TEST_ROBUSTNESS:-1}" != 0 ]; then
  start=$SECONDS
  echo "== sanitizers: scripts/ci_sanitizers.sh"
  scripts/ci_sanitizers.sh
  echo "== sanitizer step took $((SECONDS - start)) s"
  start=$SECONDS
  echo "== fuzzing: scripts/ci_fuzz.sh"
  scripts/ci_fuzz.sh
  echo "== fuzz step took $((SECONDS - start)) s"
fi
