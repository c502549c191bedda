#!/usr/bin/env bash
# Runs every test: the C++ suite (ctest) and the Python suite (pytest: tokenizer parity, vector
# parity and TempScale against sentence-transformers, converter end to end), then the portability builds
# (no oneDNN; aarch64 under qemu) and the robustness jobs (sanitizers, fuzzing). Sets up first if needed.
#
# The portability builds and the sanitizers run beside pytest at the lowest CPU priority (nice 19): pytest
# is one Python process much of the time, so they fill the core it leaves idle and take little from it.
# Their output is printed after pytest's. Fuzzing is time-boxed by the wall clock (and libFuzzer's
# per-input timeout is wall time too), so it runs last, alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
PORTABILITY=${EDGEMBED_TEST_PORTABILITY:-1}  # 0: skip the aarch64 and older-x86 steps (a quick local run)
ROBUSTNESS=${EDGEMBED_TEST_ROBUSTNESS:-1}    # 0: skip the sanitizers and fuzzing
start=$SECONDS
scripts/setup.sh --no-demo
echo "== set-up took $((SECONDS - start)) s"

echo "== C++ tests"
start=$SECONDS
(cd "$BUILD" && /usr/bin/ctest --output-on-failure -j "$(nproc)")
echo "== C++ tests took $((SECONDS - start)) s"

# step NAME COMMAND...: runs one CI step, timed; a failure is reported and the next step still runs.
step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name: $*"
  if "$@"; then
    echo "== $name took $((SECONDS - start)) s"
  else
    echo "FAIL $name (after $((SECONDS - start)) s)"
    return 1
  fi
}

# Portability: the aarch64 cross build (no oneDNN, the configuration ARM and Android use: its shipped binaries
# need no oneDNN, OpenMP or OpenCL) with its C++ suite under qemu (cortex-a72 and cortex-a76), then the int8
# CLI under qemu-x86_64 as CPUs without AVX-512 and without AVX (same vectors as the host). Robustness: the
# C++ suite under ASan + UBSan + LSan (clang, no oneDNN on x86-64: the GEMMs oneDNN replaces are tested there
# and on aarch64) and the concurrency test under TSan. scripts/ci_no_onednn.sh (gcc, x86-64, no oneDNN) is
# not in CI: it repeated those two builds' GEMM tests for a third build (1,745 s at nice 19 beside pytest, Zen 3).
side_steps() {
  local status=0
  if [ "$PORTABILITY" != 0 ]; then
    step "C++ tests on aarch64 (cross build, qemu)" scripts/ci_aarch64.sh || status=1
    step "int8 vectors on older x86-64 CPUs (qemu)" scripts/ci_x86_cpus.sh || status=1
  fi
  if [ "$ROBUSTNESS" != 0 ]; then
    step "sanitizers" scripts/ci_sanitizers.sh || status=1
  fi
  return $status
}
side_log=$BUILD/ci-side-steps.log
side_pid=""
if [ "$PORTABILITY" != 0 ] || [ "$ROBUSTNESS" != 0 ]; then
  echo "== portability and sanitizer steps: started beside pytest at nice 19 (log: ${side_log#"$ROOT"/})"
  side_start=$SECONDS
  (renice -n 19 -p "$BASHPID" >/dev/null && side_steps) >"$side_log" 2>&1 &
  side_pid=$!
fi

echo "== Python tests"
export EDGEMBED_BIN=$BUILD/tools/cli/edgembed
export EDGEMBED_CONVERT=$BUILD/tools/convert/edgembed-convert
export EDGEMBED_MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
status=0
start=$SECONDS
.venv/bin/python -m pytest -q --durations=40 tests/python "$@" || status=1
echo "== Python tests took $((SECONDS - start)) s"

if [ -n "$side_pid" ]; then
  wait_start=$SECONDS
  wait "$side_pid" || status=1
  echo "== portability and sanitizer steps (log below) ended $((SECONDS - wait_start)) s after pytest," \
    "$((SECONDS - side_start)) s after they started"
  cat "$side_log"
fi

# Robustness: 20 s of libFuzzer per fuzz target (the sanitizer step built them).
if [ "$ROBUSTNESS" != 0 ]; then
  step "fuzzing" scripts/ci_fuzz.sh || status=1
fi
exit $status
