#!/usr/bin/env bash
# Builds the Python package as a wheel in dist/: the C interface, libsparrowc.so, compiled with the
# Swift standard library inside it (so the target machine needs no Swift runtime), and the Python
# code in python/sparrow and python/sparrow_ray.
#
#   python/build-wheel.sh            # release build (what we ship)
#   pip install dist/sparrow-*.whl   # numpy comes from PyPI; `sparrow[ray]` adds Ray Serve
set -euo pipefail
cd "$(dirname "$0")/.."

# SwiftPM's --static-swift-stdlib does not apply to a dynamic library; the compiler flag does.
# SPARROW_STATIC_ZLIB links zlib from its static archive too (Package.swift), so the object needs
# only glibc, libstdc++ and libgcc_s: the libraries the manylinux policy allows.
SPARROW_STATIC_ZLIB=1 swift build -c release --scratch-path .build-wheel --product sparrowc -Xswiftc -static-stdlib
mkdir -p dist
python3 python/tools/make_wheel.py --library .build-wheel/release/libsparrowc.so --output dist
