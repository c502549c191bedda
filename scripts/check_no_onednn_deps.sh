#!/usr/bin/env bash
# Checks that a no-oneDNN build's shipped binaries (its CLI and libedgembed*.so) need no oneDNN, OpenMP or
# OpenCL: neither a NEEDED library nor an undefined symbol of theirs. Works on any ELF architecture (readelf, nm).
# Used by scripts/ci_aarch64.sh and scripts/ci_no_onednn.sh.
# Usage: scripts/check_no_onednn_deps.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$1
status=0
binaries=("$BUILD/tools/cli/edgembed")
while IFS= read -r lib; do binaries+=("$lib"); done < <(find "$BUILD" -name 'libedgembed*.so*' -type f)
for bin in "${binaries[@]}"; do
  needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  bad=$(
    { readelf -d "$bin" | grep '(NEEDED)' | grep -Ei 'dnnl|gomp|omp|OpenCL' || true
      nm -D --undefined-only "$bin" | grep -E ' (omp_|GOMP_|dnnl_|cl[A-Z])' || true; }
  )
  if [ -n "$bad" ]; then
    echo "FAIL ${bin#"$ROOT"/} depends on oneDNN/OpenMP/OpenCL:"; echo "$bad"; status=1
  else
    echo "ok   ${bin#"$ROOT"/}: needs $needed"
  fi
done
exit $status
