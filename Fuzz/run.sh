#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) and runs each for a while.
#
# usage: Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s; targets: json wal index)
#
# The library modules the targets read through (SparrowCore, SparrowFormats, SparrowIndex) are
# compiled here with the same instrumentation, so coverage guides the fuzzer into them. Corpora
# grow under Fuzz/.work/corpus-TARGET (seeded from Examples/ and the test fixtures); a crash leaves
# Fuzz/.work/crash-* and the log says which input; each one becomes a regression test.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SECONDS_PER=${1:-600}
shift || true
TARGETS=${*:-json wal index}
B=$HERE/.work/build
mkdir -p "$B"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$B" -Xcc -fmodule-map-file="$ROOT/Sources/CZlib/module.modulemap" -I "$ROOT/Sources/CZlib"
       -Xcc -fmodule-map-file="$B/CKernels.modulemap")

module() {   # module NAME: a static library and its .swiftmodule, instrumented
  local name=$1
  swiftc "${FLAGS[@]}" -emit-library -static -emit-module -module-name "$name" \
    -emit-module-path "$B/$name.swiftmodule" -o "$B/lib$name.a" "$ROOT/Sources/$name"/*.swift
}
echo "building the instrumented modules…"
exec 3>&1; exec >"$B/build.log" 2>&1   # the linker warns about ASan symbols at length
# The C kernels SparrowIndex imports: a module map for swiftc (SwiftPM writes its own) and the
# object, with the same instrumentation.
printf 'module CKernels {\n  header "%s"\n  export *\n}\n' "$ROOT/Sources/CKernels/include/kernels.h" > "$B/CKernels.modulemap"
clang -O2 -g -fsanitize=fuzzer-no-link,address -I "$ROOT/Sources/CKernels/include" -c "$ROOT/Sources/CKernels/kernels.c" -o "$B/kernels.o"
ar rcs "$B/libCKernels.a" "$B/kernels.o"
module SparrowCore
module SparrowFormats
module SparrowIndex

exec 1>&3 2>&1
declare -A SOURCE=([json]=FuzzJSON [wal]=FuzzWAL [index]=FuzzIndex)
for t in $TARGETS; do
  src=${SOURCE[$t]}
  swiftc "${FLAGS[@]}" -o "$B/fuzz-$t" "$HERE/$src.swift" -L "$B" -lSparrowIndex -lSparrowFormats -lSparrowCore -lCKernels -lz 2>&1 | grep -v "ld.gold: warning" || true
  [ -x "$B/fuzz-$t" ] || { echo "building fuzz-$t failed" >&2; exit 1; }
done

# Seeds: real inputs of each kind.
mkdir -p "$HERE/.work/corpus-json" "$HERE/.work/corpus-wal" "$HERE/.work/corpus-index"
head -5 "$ROOT/Examples/toy/documents.jsonl" | split -l 1 - "$HERE/.work/corpus-json/toy-"
printf '%s' '[{"id": "a", "vector": {"x": 1.5, "y": 2}}, {"id": 7, "text": "t", "content": null}]' > "$HERE/.work/corpus-json/array"
printf '%s' '{"queries": [{"vector": {"x": 1}, "k": 3, "algorithm": "bmp", "content": false}]}' > "$HERE/.work/corpus-json/batch"
printf '%s' '{"text": {"analyzer": "english", "k1": 0.9, "b": 0.4}, "range_size": 8}' > "$HERE/.work/corpus-json/settings"
printf 'SPRWAL01' > "$HERE/.work/corpus-wal/empty"
printf '\x00seed' > "$HERE/.work/corpus-index/seed"

if [[ " $TARGETS " == *" index "* ]]; then
  (cd "$HERE/.work" && FUZZ_SEED_CORPUS=corpus-index ASAN_OPTIONS=detect_leaks=0 "$B/fuzz-index" -runs=0 corpus-index >/dev/null 2>&1)
fi

for t in $TARGETS; do
  echo "== fuzz-$t for $SECONDS_PER s"
  (cd "$HERE/.work" && ASAN_OPTIONS=detect_leaks=0 "$B/fuzz-$t" -max_total_time="$SECONDS_PER" -max_len=65536 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$HERE/.work/crash-$t-" "corpus-$t" 2>&1 | tee "$HERE/.work/fuzz-$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|stat::|ERROR|SUMMARY|crash-" || true)
done
