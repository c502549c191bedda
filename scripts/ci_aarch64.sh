#!/usr/bin/env bash
# Cross-builds edgembed for aarch64 Linux (no oneDNN, no OpenMP) and runs the C++ test suite under
# qemu-user: the whole suite on -cpu cortex-a72 (Armv8.0 NEON, no dotprod), the tests that depend on dotprod
# on -cpu cortex-a76 (Armv8.2 + dotprod; the whole suite there too with EDGEMBED_FULL_SHAPES=1).
# Before that, embeds a few sentences with the aarch64 CLI under both models and compares them with the
# x86-64 CLI's vectors, when the x86 build and the converted model exist (scripts/setup.sh makes both),
# and checks that the f32 and int8 models' vectors are bit-identical at 1 and 4 threads (and across batch
# sizes). The suite's test_concurrency runs contexts of 1 to 4 threads against one thread, bit for bit.
# Installs what it needs (apt, arm64 multiarch). Safe to rerun: the build dir is kept, so reruns are
# incremental.
# Usage: scripts/ci_aarch64.sh            env: EDGEMBED_AARCH64_BUILD_DIR (default build-aarch64),
#        EDGEMBED_AARCH64_CPUS (default "cortex-a72 cortex-a76"), EDGEMBED_BUILD_DIR (the x86 build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_AARCH64_BUILD_DIR:-$ROOT/build-aarch64}
X86_BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
CPUS=${EDGEMBED_AARCH64_CPUS:-cortex-a72 cortex-a76}
CMAKE=/usr/bin/cmake
CTEST=/usr/bin/ctest

# Host tools, arch-independent headers, and the arm64 libraries the build links (all Multi-Arch: same,
# so they co-install with the amd64 ones). libc6 and libstdc++6:arm64 are what qemu runs the binaries
# with (its loader is libc6:arm64's /lib/ld-linux-aarch64.so.1); the cross compiler's own copies under
# /usr/aarch64-linux-gnu are not on that loader's path.
HOST_PACKAGES=(cmake ninja-build pkg-config crossbuild-essential-arm64 qemu-user-static
  nlohmann-json3-dev libcli11-dev)
ARM64_PACKAGES=(libc6:arm64 libstdc++6:arm64 libxsimd-dev:arm64 libgtest-dev:arm64 libutf8proc-dev:arm64 libxxhash-dev:arm64
  libzip-dev:arm64)
# Packages that are not Multi-Arch co-installable are unpacked into $BUILD/sysroot-extra instead:
# libsentencepiece0 (the library) and libsentencepiece-dev (header, .so link, .pc); libdnnl-dev would be
# another, but the aarch64 build uses no oneDNN.
UNPACKED_PACKAGES=(libsentencepiece0 libsentencepiece-dev)

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { $SUDO apt-get update -qq; apt_updated=1; }; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "== dpkg: adding architecture arm64"
  $SUDO dpkg --add-architecture arm64
  apt_update
fi
missing=()
for p in "${HOST_PACKAGES[@]}" "${ARM64_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: installing ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

EXTRA=$BUILD/sysroot-extra
mkdir -p "$BUILD"
for p in "${UNPACKED_PACKAGES[@]}"; do
  stamp=$EXTRA/.unpacked-$p
  [ -f "$stamp" ] && continue
  echo "== unpacking $p:arm64 into $EXTRA"
  apt_update
  mkdir -p "$EXTRA" "$BUILD/debs"
  (cd "$BUILD/debs" && apt-get download -q "$p:arm64" >/dev/null)
  dpkg-deb -x "$(ls -t "$BUILD"/debs/"${p}"_*_arm64.deb | head -1)" "$EXTRA"
  touch "$stamp"
done
# Unpacked packages come first; their .pc files name prefix=/usr, so pkg-config is told the real root.
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
prefix_path="" linker_flags=""
if [ ${#UNPACKED_PACKAGES[@]} -gt 0 ]; then
  export PKG_CONFIG_LIBDIR=$EXTRA/usr/lib/aarch64-linux-gnu/pkgconfig:$PKG_CONFIG_LIBDIR
  # Their .pc files say prefix=/usr: point them at the unpacked copy (a PKG_CONFIG_SYSROOT_DIR would
  # also move the multiarch packages' paths).
  for pc in "$EXTRA"/usr/lib/aarch64-linux-gnu/pkgconfig/*.pc; do
    [ -f "$pc" ] && sed -i "s|^prefix=/usr\$|prefix=$EXTRA/usr|" "$pc"
  done
  prefix_path="-DCMAKE_PREFIX_PATH=$EXTRA/usr"
  # Their libraries are on no default path: executables link with -L (libraries named plainly, as the
  # installed package's static link line names sentencepiece: tests/consumer) and -rpath-link (libraries
  # a shared library needs, libedgembed.so -> libsentencepiece.so.0); under qemu the loader finds them
  # through LD_LIBRARY_PATH (the test binaries also have them in their build RPATH).
  extra_lib=$EXTRA/usr/lib/aarch64-linux-gnu
  linker_flags="-DCMAKE_EXE_LINKER_FLAGS=-L$extra_lib -Wl,-rpath-link,$extra_lib"
  export LD_LIBRARY_PATH=$extra_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

echo "== configure + build ($BUILD)"
start=$SECONDS
# Rerunning configure on an existing build is cheap and picks up changed options; nothing is wiped.
$CMAKE -S . -B "$BUILD" -G Ninja --toolchain "$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DEDGEMBED_WITH_ONEDNN=OFF -DEDGEMBED_BUILD_BENCH=OFF -DEDGEMBED_BUILD_TESTS=ON \
  ${prefix_path:+"$prefix_path"} ${linker_flags:+"$linker_flags"} >/dev/null
$CMAKE --build "$BUILD" -j "$(nproc)"
echo "== build took $((SECONDS - start)) s"

status=0
# The shipped binaries of the no-oneDNN configuration (the one ARM and Android use) need no oneDNN, OpenMP
# or OpenCL.
scripts/check_no_onednn_deps.sh "$BUILD" || status=1

# End to end: the aarch64 CLI's vectors against the x86-64 CLI's on the real model.
X86_CLI=$X86_BUILD/tools/cli/edgembed
if [ -f "$MODEL" ] && [ -x "$X86_CLI" ]; then
  work=$BUILD/cli-parity
  mkdir -p "$work"
  printf '%s\n' "A man is playing a guitar." "Café déjà vu, naïve façade" \
    "The quick brown fox jumps over the lazy dog while the embedding model runs on an emulated Arm core." \
    > "$work/input.txt"
  "$X86_CLI" embed -m "$MODEL" --threads 1 -o "$work/x86.jsonl" "$work/input.txt" 2>/dev/null
  # f32 runs the same code on every CPU (dotprod only changes the int8 GEMM, compared below): the first in CI.
  parity_cpus=${CPUS%% *}
  [ "${EDGEMBED_FULL_SHAPES:-0}" = 1 ] && parity_cpus=$CPUS
  for cpu in $parity_cpus; do
    rm -f "$work/$cpu.jsonl"
    QEMU_CPU=$cpu /usr/bin/qemu-aarch64-static "$BUILD/tools/cli/edgembed" embed -m "$MODEL" \
      -o "$work/$cpu.jsonl" "$work/input.txt" || true
    if ! python3 - "$work/x86.jsonl" "$work/$cpu.jsonl" "$cpu" <<'EOF'
import json, math, sys
ref = [json.loads(line) for line in open(sys.argv[1])]
got = [json.loads(line) for line in open(sys.argv[2])]
assert len(ref) == len(got) and ref, "different number of vectors"
worst = 1.0
for a, b in zip(ref, got):
    cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    worst = min(worst, cos)
print(f"cli parity aarch64 ({sys.argv[3]}) vs x86-64: {len(got)} texts, worst cosine {worst:.7f}")
sys.exit(0 if worst > 0.99999 else 1)
EOF
    then
      echo "ERROR: aarch64 vectors differ from x86-64 under -cpu $cpu"
      status=1
    fi
  done
else
  echo "== cli parity skipped: needs $MODEL and $X86_CLI (scripts/setup.sh)"
fi

# Threads: the same bits at 1 and 4 threads of the pool and at batch sizes 12 and 5, through the CLI. 12 texts
# of 12 to ~45 tokens: the batch of 12 passes 256 tokens, so the int8 layers' row chunks run at 4 threads too.
# The int8 model in CI; f32 (197 s of qemu, Zen 3) with EDGEMBED_FULL_SHAPES=1: the suite's
# ConvertedModel.ThreadsSharingItMatchOneThreadBitForBit/f32 runs it at 1 to 4 threads anyway.
if [ -f "$MODEL" ]; then
  work=$BUILD/thread-parity
  mkdir -p "$work"
  python3 - "$work/input.txt" <<'EOF'
import sys
words = ("the embedding model runs on every core of an emulated Arm board while the vectors must not "
         "change by a single bit whatever the thread count or the batch size of the call").split()
with open(sys.argv[1], "w") as f:
    for i in range(12):
        n = 10 + (i * 13) % 32
        f.write(" ".join(words[(i + j) % len(words)] for j in range(n)) + "\n")
EOF
  cpu=${CPUS%% *}
  kinds=(int8)
  [ "${EDGEMBED_FULL_SHAPES:-0}" = 1 ] && kinds=(f32 int8)
  for kind in "${kinds[@]}"; do
    model=$ROOT/models/all-MiniLM-L6-v2.$kind.edgembed
    [ -f "$model" ] || continue
    start=$SECONDS
    for run in "1 12" "4 12" "4 5"; do
      read -r threads batch <<< "$run"
      QEMU_CPU=$cpu /usr/bin/qemu-aarch64-static "$BUILD/tools/cli/edgembed" embed -m "$model" --threads "$threads" \
        --batch-size "$batch" --output npy -o "$work/$kind-t$threads-b$batch.npy" "$work/input.txt" 2>/dev/null
    done
    if cmp -s "$work/$kind-t1-b12.npy" "$work/$kind-t4-b12.npy" && cmp -s "$work/$kind-t1-b12.npy" "$work/$kind-t4-b5.npy"
    then
      echo "thread parity aarch64 ($cpu, $kind): 12 texts bit-identical at 1 / 4 threads, batch 12 / 5 ($((SECONDS - start)) s)"
    else
      echo "ERROR: aarch64 $kind vectors differ between thread counts or batch sizes under -cpu $cpu"
      status=1
    fi
  done
fi

# ---- Cross-ISA vectors (issue 15): int8 and f16 vectors of held-out texts from the aarch64 CLI under qemu,
# for each CPU (cortex-a72: no dotprod, cortex-a76: dotprod), against the x86-64 CLI's: min cosine >= 0.99999
# (tests/python/test_cross_isa_agreement.py, which also compares every x86 ISA path in scripts/test.sh).
if [ -x "$X86_CLI" ] && [ -x "$ROOT/.venv/bin/python" ] && [ -f "$ROOT/models/all-MiniLM-L6-v2.int8.edgembed" ]; then
  echo "== cross-ISA vectors: aarch64 (qemu) against x86-64, int8 and f16"
  start=$SECONDS
  if ! EDGEMBED_BIN=$X86_CLI EDGEMBED_MODEL=$MODEL EDGEMBED_AARCH64_CLI=$BUILD/tools/cli/edgembed \
      EDGEMBED_AARCH64_CPUS="$CPUS" "$ROOT/.venv/bin/python" -m pytest -q -s \
      tests/python/test_cross_isa_agreement.py -k aarch64; then
    status=1
  fi
  echo "== cross-ISA vectors took $((SECONDS - start)) s"
else
  echo "== cross-ISA vectors skipped: needs $X86_CLI, .venv and the int8 / f16 models (scripts/setup.sh)"
fi
# ---- end of the cross-ISA vectors

# Tests that need the converted model find it here (the file format is little-endian and portable).
[ -f "$MODEL" ] && export EDGEMBED_MODEL=$MODEL
for cpu in $CPUS; do
  case $cpu in
    cortex-a72|cortex-a53|cortex-a57) dotprod=0 ;;
    cortex-a76|neoverse-n1|max) dotprod=1 ;;
    *) dotprod="" ;;
  esac
  echo "== C++ tests on aarch64 under qemu -cpu $cpu (dotprod expected: ${dotprod:-?})"
  start=$SECONDS
  # qemu-aarch64 reads QEMU_CPU (the toolchain's emulator has no -cpu of its own).
  log=$BUILD/ctest-$cpu.log
  # The whole suite on the first CPU; on the others (they differ in dotprod, i.e. in the int8 GEMM back end
  # picked) the tests that depend on it: the int8 back ends, ISA detection, the linear layers and the int8
  # fixture models end to end (the cross-ISA block above compares their vectors). EDGEMBED_FULL_SHAPES=1: all.
  # On the first CPU, CI leaves out the kernel tests of the portable tables (reference, scalar: the same C++
  # as on x86-64, where they run) and the tokenizers' time-growth test: a fifth of qemu's time there.
  subset=()
  if [ "${EDGEMBED_FULL_SHAPES:-0}" != 1 ]; then
    if [ "$cpu" != "${CPUS%% *}" ]; then
      subset=(-R 'Int8Gemm|IsaDetection|LinearLayers|LegacyModelFile')
    else
      subset=(-E '/(scalar|reference)( |$)|LongTextsTakeLinearTime')
    fi
  fi
  if ! QEMU_CPU=$cpu EDGEMBED_EXPECT_ARM_DOTPROD=$dotprod \
      $CTEST --test-dir "$BUILD" --output-on-failure -j "$(nproc)" "${subset[@]}" 2>&1 | tee "$log"; then
    status=1
  fi
  # The NEON kernels must run, not be skipped as "ISA not available".
  if grep -Eq "neon64.*\((Skipped|Not Run|Disabled)\)" "$log"; then
    echo "ERROR: neon64 kernel tests were skipped under -cpu $cpu"
    status=1
  fi
  echo "== ctest under -cpu $cpu took $((SECONDS - start)) s"
done

exit $status
