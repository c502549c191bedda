#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (build-fuzz/: -fsanitize=fuzzer,address,undefined, no
# oneDNN) and runs each for EDGEMBED_FUZZ_SECONDS (default 10, which keeps CI under its hour; run longer by hand: EDGEMBED_FUZZ_SECONDS=600) on its seeds,
# as many at once as there are cores. Prints the executions per target; fails on any crash, sanitizer report, leak, timeout
# (an input slower than 10 s) or out-of-memory (over 2 GB), leaving the input in build-fuzz/artifacts/.
# Regenerates the model_file seeds (fuzz/corpus/model_file, tiny models) first, so they follow the
# current format; new inputs found go to build-fuzz/corpus/<target>/, never into the committed seeds.
# Reproduce a finding: build-fuzz/fuzz/fuzz_<target> build-fuzz/artifacts/<target>-crash-...
# Usage: scripts/ci_fuzz.sh [target...]     env: EDGEMBED_FUZZ_SECONDS, EDGEMBED_FUZZ_BUILD_DIR,
#        EDGEMBED_FUZZ_JOBS (default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_PER_TARGET=${EDGEMBED_FUZZ_SECONDS:-10}
JOBS=${EDGEMBED_FUZZ_JOBS:-$(nproc)}
CMAKE=/usr/bin/cmake
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(model_file utf8 wordpiece safetensors pickle torch_bin hf_checkpoint bpe sentencepiece)

runtime=(/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a)
if ! command -v clang++ >/dev/null || [ ! -f "${runtime[0]}" ]; then
  echo "== apt: installing clang libclang-rt-14-dev"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi

# The one configuration of build-fuzz/, shared with scripts/ci_sanitizers.sh (which runs the tests of the
# same build under ASan + UBSan): `ci_fuzz.sh --configure-only DIR` configures it and stops.
# Line tables only (no variable info): sanitizer reports keep their file:line stacks, and the build, on
# CI's critical path, takes less time than with full -g.
configure() {
  $CMAKE -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_COMPILER=clang++ -DEDGEMBED_FUZZ=ON -DEDGEMBED_WITH_ONEDNN=OFF -DEDGEMBED_BUILD_TESTS=ON \
    -DEDGEMBED_BUILD_BENCH=OFF -DEDGEMBED_BUILD_EXAMPLES=ON >/dev/null
}
if [ "${1:-}" = "--configure-only" ]; then
  configure "${2:-$BUILD}"
  exit 0
fi

echo "== configure + build ($BUILD)"
start=$SECONDS
configure "$BUILD"
$CMAKE --build "$BUILD" -j "$(nproc)" --target fuzzers
echo "== build took $((SECONDS - start)) s"

mkdir -p fuzz/corpus/model_file  # its seeds are generated, not committed
for weights in f32 f16 int8; do
  "$BUILD/fuzz/edgembed-tiny-model" "fuzz/corpus/model_file/tiny.$weights.edgembed" --weights "$weights"
done
MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
if [ -f "$MODEL" ]; then
  export EDGEMBED_FUZZ_MODEL=$MODEL  # fuzz_wordpiece: the real vocabulary
else
  echo "note: $MODEL not found: fuzz_wordpiece uses its built-in tiny vocabulary"
fi
BPE_TOKENIZER=$ROOT/../shared/data/tokenizers/roberta-base/tokenizer.json
if [ -f "$BPE_TOKENIZER" ]; then
  export EDGEMBED_FUZZ_BPE_TOKENIZER=$BPE_TOKENIZER  # fuzz_bpe: roberta-base as one more variant
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$BUILD/artifacts" "$BUILD/logs"

run_one() {
  local target=$1 log=$BUILD/logs/$1.log
  mkdir -p "$BUILD/corpus/$target"
  local dict=()
  [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
  if "$BUILD/fuzz/fuzz_$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$target-" "${dict[@]}" \
      "$BUILD/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1; then
    final_stat() { sed -n "s/^stat::$1: *//p" "$log"; }
    echo "ok   fuzz_$target: $(final_stat number_of_executed_units) executions in ${SECONDS_PER_TARGET} s," \
      "$(final_stat new_units_added) new inputs, peak RSS $(final_stat peak_rss_mb) MB"
  else
    echo "FAIL fuzz_$target (log: ${log#"$ROOT"/}):"
    grep -E -m1 -A12 'ERROR|runtime error|invariant failed|Timeout|out-of-memory|uncaught exception|deadly signal' \
      "$log" || tail -20 "$log"
    return 1
  fi
}

echo "== fuzzing ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET} s each, $JOBS at a time"
status=0
running=0
for target in "${TARGETS[@]}"; do
  if [ $running -ge "$JOBS" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$target" &
  running=$((running + 1))
done
while [ $running -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
