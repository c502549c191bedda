#!/usr/bin/env bash
# Installs a built edgembed to a temporary prefix, then builds tests/consumer against it four ways
# (CMake package: shared and static; pkg-config: shared and static) and runs each on a model.
# Usage: tests/consumer/run.sh BUILD_DIR MODEL      env: CC, LDFLAGS (extra link flags, e.g. a cross build's -L),
#        EDGEMBED_TEST_EMULATOR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
MODEL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CMAKE=${CMAKE:-/usr/bin/cmake}
CC=${CC:-cc}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
passed=0 failed=0

run() {  # NAME BINARY: runs it on the model and checks its output line
  local name=$1 bin=$2 out
  # shellcheck disable=SC2086  # a cross build's emulator command, e.g. "/usr/bin/qemu-aarch64-static"
  if out=$(${EDGEMBED_TEST_EMULATOR:-} "$bin" "$MODEL" 2>&1) && [[ $out == "edgembed "*": dimension "* ]]; then
    echo "ok   $name: $out"; passed=$((passed + 1))
  else
    echo "FAIL $name: $out"; failed=$((failed + 1))
  fi
}

echo "== install to $PREFIX"
"$CMAKE" --install "$BUILD" --prefix "$PREFIX" --component c_api >/dev/null
for f in include/edgembed.h include/edgembed.hpp lib/libedgembed.a lib/cmake/edgembed/edgembed-config.cmake \
         lib/cmake/edgembed/edgembed-config-version.cmake lib/pkgconfig/edgembed.pc; do
  if [ -f "$PREFIX/$f" ]; then passed=$((passed + 1)); else echo "FAIL missing $f"; failed=$((failed + 1)); fi
done
ls "$PREFIX"/lib/libedgembed.so* >/dev/null

echo "== find_package(edgembed CONFIG)"
"$CMAKE" -S "$HERE" -B "$WORK/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
"$CMAKE" --build "$WORK/cmake-build" >/dev/null
run "cmake, shared" "$WORK/cmake-build/consumer_shared"
run "cmake, static" "$WORK/cmake-build/consumer_static"
# readelf rather than ldd: it also reads a cross-built binary.
if readelf -d "$WORK/cmake-build/consumer_static" | grep '(NEEDED)' | grep -q libedgembed; then
  echo "FAIL consumer_static needs libedgembed.so"; failed=$((failed + 1))
fi

echo "== pkg-config edgembed"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
# shellcheck disable=SC2046
"$CC" -std=c99 -Wall -Werror "$HERE/main.c" -o "$WORK/pc_shared" $(pkg-config --cflags --libs edgembed) \
  -Wl,-rpath,"$(pkg-config --variable=libdir edgembed)" ${LDFLAGS:-}
run "pkg-config, shared" "$WORK/pc_shared"
# Static: the archive by name, then Libs.private (pkg-config --static).
# shellcheck disable=SC2046
"$CC" -std=c99 -Wall -Werror "$HERE/main.c" -o "$WORK/pc_static" $(pkg-config --cflags edgembed) \
  $(pkg-config --static --libs edgembed | sed 's/-ledgembed\b/-l:libedgembed.a/') ${LDFLAGS:-}
run "pkg-config, static" "$WORK/pc_static"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
