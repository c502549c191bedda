#!/usr/bin/env bash
# edgembed against its peers (sentence-transformers / torch, ONNX Runtime f32 and int8, CTranslate2 int8, and
# llama.cpp where it builds), one run on this machine, then docs/PERFORMANCE.md and docs/perf/*.png.
#   scripts/bench_peers.sh            full run (about 15-20 min on a quiet 2-core machine)
#   scripts/bench_peers.sh --quick    smoke test into bench/peers/cache/quick/ (docs/ untouched)
# Other arguments go to bench/peers/run_peers.py (--lengths, --batch, --threads, --repeats, --min-seconds,
# --systems). BENCH_LLAMA=1 also tries to build llama-cpp-python from source (time-limited, BENCH_LLAMA_TIMEOUT
# seconds, default 900) and takes llama.cpp's convert_hf_to_gguf.py from its source package.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -x build/tools/cli/edgembed ] && ls models/all-MiniLM-L6-v2.int8.edgembed >/dev/null 2>&1 || scripts/setup.sh --no-demo

if ! .venv/bin/python -c "import onnx, onnxruntime, onnxscript, ctranslate2, matplotlib" 2>/dev/null; then
  echo "== pip: requirements-bench.txt"
  .venv/bin/pip install -q -r requirements-bench.txt
fi

if [ "${BENCH_LLAMA:-0}" = 1 ] && ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "== llama-cpp-python: building llama.cpp from source (limit ${BENCH_LLAMA_TIMEOUT:-900} s)"
  src=$(mktemp -d)
  .venv/bin/pip download -q --no-deps --no-binary :all: -d "$src" llama-cpp-python==0.3.36
  mkdir -p bench/peers/cache
  tar -xzf "$src"/llama_cpp_python-0.3.36.tar.gz -C "$src"
  rm -rf bench/peers/cache/llama.cpp && cp -r "$src"/llama_cpp_python-0.3.36/vendor/llama.cpp bench/peers/cache/llama.cpp
  .venv/bin/pip install -q gguf==0.19.0
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF" \
    timeout "${BENCH_LLAMA_TIMEOUT:-900}" .venv/bin/pip install -q "$src"/llama_cpp_python-0.3.36.tar.gz \
    || echo "== llama-cpp-python did not build in time: llama.cpp is skipped"
  rm -rf "$src"
fi

exec .venv/bin/python bench/peers/run_peers.py "$@"
