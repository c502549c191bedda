#!/usr/bin/env bash
# Runs the shipped CLI under qemu-x86_64 as x86-64 CPUs older than most CI hosts: Nehalem (SSE4.2, no AVX) and
# Haswell (AVX2 + FMA, no AVX-512). A binary that runs an instruction the CPU lacks outside the run-time
# dispatch dies there with SIGILL on any host (the kernel tables did, on AVX2-only CPUs, until fe922bb).
# Each CPU embeds the same texts with the int8 MiniLM model as the host does. The two emulated CPUs must give
# identical vectors (the kernels that feed int8 quantization give the same bits on every ISA), and each must agree
# with the host to min cosine 0.99999, the bound of tests/python/test_cross_isa_agreement.py (a host with AVX-512
# runs int8 GEMM back ends qemu cannot emulate). int8 only: the f32 model runs
# oneDNN's JIT code, which qemu took 6 minutes over on Haswell (8 texts; 1 minute for int8).
# Needs what scripts/setup.sh makes (build/, the models) and qemu-user-static (installed here if missing).
# Usage: scripts/ci_x86_cpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
CPUS=(Nehalem Haswell)
QEMU=/usr/bin/qemu-x86_64-static
if [ ! -x "$QEMU" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user-static >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python - "$work/texts.jsonl" <<'EOF'
import json, sys
sys.path.insert(0, "tools/eval")
from edgembed_eval.data import load_texts
texts = sorted(set(load_texts("stsb_test")))[::400] + load_texts("manpages_corpus")[20:21]  # 7 sentences, 1 page
open(sys.argv[1], "w").write("".join(json.dumps(t) + "\n" for t in texts))
EOF
status=0
model=$ROOT/models/all-MiniLM-L6-v2.int8.edgembed
"$BUILD/tools/cli/edgembed" embed -m "$model" --input jsonl --output npy -o "$work/host.npy" <"$work/texts.jsonl" 2>/dev/null
for cpu in "${CPUS[@]}"; do
  start=$SECONDS
  if ! "$QEMU" -cpu "$cpu" "$BUILD/tools/cli/edgembed" embed -m "$model" --input jsonl --output npy \
      -o "$work/$cpu.npy" <"$work/texts.jsonl" 2>"$work/$cpu.err"; then
    echo "FAIL int8 on $cpu: $(grep -v 'TCG doesn' "$work/$cpu.err" | tail -3)"; status=1; continue
  fi
  .venv/bin/python - "$work/host.npy" "$work/$cpu.npy" "int8 on $cpu ($((SECONDS - start)) s)" <<'EOF' || status=1
import sys
import numpy as np
host, emulated, label = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3]
cos = np.sum(host * emulated, 1) / (np.linalg.norm(host, axis=1) * np.linalg.norm(emulated, axis=1))
ok = host.shape == emulated.shape and np.isfinite(emulated).all() and cos.min() >= 0.99999
same = "bit-identical" if np.array_equal(host, emulated) else "max |diff| %.2e" % np.abs(host - emulated).max()
print(f"{'ok  ' if ok else 'FAIL'} {label}: {len(host)} texts, min cosine to the host {cos.min():.7f}, {same}")
sys.exit(0 if ok else 1)
EOF
done
if [ -f "$work/Nehalem.npy" ] && [ -f "$work/Haswell.npy" ]; then
  if cmp -s "$work/Nehalem.npy" "$work/Haswell.npy"; then
    echo "ok   Nehalem and Haswell: bit-identical vectors"
  else
    echo "FAIL Nehalem and Haswell: the vectors differ"; status=1
  fi
fi
exit $status
