#!/usr/bin/env bash
# edgembed against its peers (sentence-transformers / torch, ONNX Runtime f32 and int8, OpenVINO f32 and int8,
# CTranslate2 int8, and llama.cpp where it builds), one run on this machine, then docs/PERFORMANCE.md and
# docs/perf/*.png.
#   scripts/bench_peers.sh [--model minilm|mpnet|modernbert]   full run of one model (MiniLM: about 15-20 min
#                                                   on a quiet 2-core machine; modernbert: a random-init
#                                                   ModernBERT-base, 512..8192 tokens at batch 1, made on first use)
#   scripts/bench_peers.sh --quick                  smoke test into bench/peers/cache/<model>/quick/ (docs/ untouched)
# Other arguments go to bench/peers/run_peers.py (--lengths, --batch, --threads, --repeats, --min-seconds,
# --systems). BENCH_LLAMA=1 also tries to build llama-cpp-python from source (time-limited, BENCH_LLAMA_TIMEOUT
# seconds, default 900) and takes llama.cpp's convert_hf_to_gguf.py from its source package.
# EDGEMBED_MODELS / EDGEMBED_BIN: another models directory / CLI (bench/peers/models.py; without them the repo's,
# built by scripts/setup.sh if missing); EDGEMBED_PYTHON: the interpreter (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${EDGEMBED_PYTHON:-.venv/bin/python}
if [ -z "${EDGEMBED_MODELS:-}${EDGEMBED_BIN:-}" ]; then
  [ -x build/tools/cli/edgembed ] && ls models/all-MiniLM-L6-v2.int8.edgembed models/all-mpnet-base-v2.int8.edgembed \
    >/dev/null 2>&1 || scripts/setup.sh --no-demo
fi

if ! "$PYTHON" -c "import onnx, onnxruntime, onnxscript, openvino, nncf, ctranslate2, matplotlib" 2>/dev/null; then
  echo "== pip: requirements-bench.txt"
  "$PYTHON" -m pip install -q -r requirements-bench.txt
fi

if [ "${BENCH_LLAMA:-0}" = 1 ] && ! "$PYTHON" -c "import llama_cpp" 2>/dev/null; then
  echo "== llama-cpp-python: building llama.cpp from source (limit ${BENCH_LLAMA_TIMEOUT:-900} s)"
  src=$(mktemp -d)
  "$PYTHON" -m pip download -q --no-deps --no-binary :all: -d "$src" llama-cpp-python==0.3.36
  mkdir -p bench/peers/cache
  tar -xzf "$src"/llama_cpp_python-0.3.36.tar.gz -C "$src"
  rm -rf bench/peers/cache/llama.cpp && cp -r "$src"/llama_cpp_python-0.3.36/vendor/llama.cpp bench/peers/cache/llama.cpp
  "$PYTHON" -m pip install -q gguf==0.19.0
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF" \
    timeout "${BENCH_LLAMA_TIMEOUT:-900}" "$PYTHON" -m pip install -q "$src"/llama_cpp_python-0.3.36.tar.gz \
    || echo "== llama-cpp-python did not build in time: llama.cpp is skipped"
  rm -rf "$src"
fi

exec "$PYTHON" bench/peers/run_peers.py "$@"
