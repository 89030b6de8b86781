#!/usr/bin/env bash
# Every test, as CI runs it (README.md's test command):
#   1. the Swift tests (`swift test`);
#   2. the C interface: the shipped shared object (python/build-wheel.sh builds it, with the Swift
#      runtime inside) and a C program that exercises every function and error path;
#   3. the Python package: the wheel installed into a fresh venv (.venv-test, made here, with numpy,
#      scipy, pytest and Ray from PyPI), tested with pytest — including Sparrow sharded on a local
#      Ray cluster.
# Set SPARROW_SKIP_SWIFT_TESTS=1 to run only 2 and 3.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd .. && pwd)/shared"

if [ "${SPARROW_SKIP_SWIFT_TESTS:-0}" != 1 ]; then
    swift test
fi
swift build --product sparrow            # the CLI the Python tests compare with

echo "== C interface"
python/build-wheel.sh
LIB="$PWD/.build-wheel/release"
# The shipped object carries the Swift runtime and zlib: it may ask only for the C and C++ runtimes
# (the libraries the manylinux policy allows).
if readelf -d "$LIB/libsparrowc.so" | grep NEEDED | grep -vE '\[(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|ld-linux-x86-64)\.so'; then
    echo "libsparrowc.so needs the libraries above; the wheel must carry them (-static-stdlib, SPARROW_STATIC_ZLIB)" >&2
    exit 1
fi
cc -std=c11 -Wall -Werror -I Sources/CSparrow Tests/CABI/abi_test.c -L "$LIB" -lsparrowc -Wl,-rpath,"$LIB" -lm \
    -o .build-wheel/abi_test
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
.build-wheel/abi_test "$SCRATCH/abi" "$SHARED/data/models/splade-tiny"

echo "== Python package"
if [ ! -x .venv-test/bin/python ]; then
    python3 -m venv .venv-test
fi
.venv-test/bin/pip install -q --upgrade pip >/dev/null
.venv-test/bin/pip install -q numpy scipy pytest "ray[serve,data]"
.venv-test/bin/pip install -q --force-reinstall --no-deps dist/sparrow-*.whl
# The tests import the installed wheel (python/ is not on the path) and compare with the debug CLI.
(cd python/tests && env -u SPARROW_LIBRARY SPARROW_CLI="$PWD/../../.build/debug/sparrow" SPARROW_SHARED="$SHARED" \
    ../../.venv-test/bin/python -m pytest -q)
.venv-test/bin/python python/examples/quickstart.py > /dev/null
echo "all tests passed"
