# Sourced by scripts/setup.sh and scripts/test.sh (with ROOT set to the repository): CMake builds started from
# here go through ccache when it is installed, into a cache of this clone's own (.cache/ccache, so a clean
# clone starts cold). What it saves: the Python package builds in pytest (build-python/, a fresh venv's
# `pip install`) compile the library sources that build/ compiled, with the same flags. A launcher or cache the
# caller chose is kept.
if command -v ccache >/dev/null && [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR=${CCACHE_DIR:-$ROOT/.cache/ccache}
  # Paths under the repository are hashed relative to the build dir, and the build dir's own path is not hashed.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT} CCACHE_NOHASHDIR=1
fi
