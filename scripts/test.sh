#!/usr/bin/env bash
# Runs every test: the C++ suite (ctest) and the Python suite (pytest: tokenizer parity, vector
# parity and TempScale against sentence-transformers, converter end to end). Sets up first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EDGEMBED_BUILD_DIR:-$ROOT/build}
scripts/setup.sh --no-demo

echo "== C++ tests"
(cd "$BUILD" && /usr/bin/ctest --output-on-failure -j "$(nproc)")

echo "== Python tests"
export EDGEMBED_BIN=$BUILD/tools/cli/edgembed
export EDGEMBED_CONVERT=$BUILD/tools/convert/edgembed-convert
export EDGEMBED_MODEL=$ROOT/models/all-MiniLM-L6-v2.f32.edgembed
.venv/bin/python -m pytest -q tests/python "$@"
