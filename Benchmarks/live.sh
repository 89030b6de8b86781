#!/usr/bin/env bash
# Live collections (issue 11): ingest rate, query latency over 1, 4 and 16 segments, --threads, and
# BM25 after writes. One core for single-thread figures (CORE_ID, default 1); release build.
#
# usage: Benchmarks/live.sh DOCS QUERIES OUTDIR [TEXT_CORPUS TEXT_QUERIES]
#   DOCS     {"id","vector"} JSONL, plain or gzip (the 30k pool, or the 1M scale-up, see pruning.sh)
#   QUERIES  {"id","vector"} JSONL (head -1000 ../shared/data/msmarco-dev-queries/splade-tiny/queries.jsonl)
#   OUTDIR   where collections and logs go (outside the repository)
#   TEXT_*   optional: a BEIR corpus and queries for the BM25 part (SciFact)
# SKIP_INGEST=1 leaves out the ingest timings.
# ALGS (default all) limits the algorithms timed over 1, 4 and 16 segments.
set -euo pipefail
DOCS=$1 QUERIES=$2 OUT=$3 TEXT=${4:-} TEXTQ=${5:-}
HERE=$(cd "$(dirname "$0")/.." && pwd)
S=${SPARROW:-$HERE/.build/release/sparrow}
CORE="taskset -c ${CORE_ID:-1}"
mkdir -p "$OUT"
bench() { $CORE "$S" bench --index "$1" --queries "$2" -k 10 --algorithms "${3:-${ALGS:-all}}" --warmup 100; }

if [[ -z ${SKIP_INGEST:-} ]]; then
echo "== ingest: one-shot build against live adds (batches of 1000 documents), default options"
rm -rf "$OUT/one" "$OUT/one-default" "$OUT/live-always" "$OUT/live-none"
$CORE /usr/bin/time -f "index            %e s, peak RSS %M KB" "$S" index --input "$DOCS" --output "$OUT/one-default" -q
$CORE /usr/bin/time -f "add fsync=always %e s, peak RSS %M KB" "$S" add --index "$OUT/live-always" --input "$DOCS" --batch 1000 >/dev/null
$CORE /usr/bin/time -f "add fsync=none   %e s, peak RSS %M KB" "$S" add --index "$OUT/live-none" --input "$DOCS" --batch 1000 --fsync none >/dev/null

fi

echo "== query latency: the same documents in 1, 4 and 16 segments (no merges; 32-document ranges, so every algorithm runs), k = 10"
$CORE "$S" index --input "$DOCS" --output "$OUT/one" -q --range-size 32
case "$DOCS" in *.gz) zcat "$DOCS" > "$OUT/docs.jsonl" ;; *) ln -sf "$(realpath "$DOCS")" "$OUT/docs.jsonl" ;; esac
for n in 4 16; do
  rm -rf "$OUT/seg$n" "$OUT/parts$n"; mkdir -p "$OUT/parts$n"
  split -n l/$n -d "$OUT/docs.jsonl" "$OUT/parts$n/p"
  for p in "$OUT/parts$n"/p*; do mv "$p" "$p.jsonl"; "$S" add --index "$OUT/seg$n" --input "$p.jsonl" --no-merges --fsync none --range-size 32 --memory 8192 >/dev/null; done
  "$S" info "$OUT/seg$n" | grep segments
done
for c in one seg4 seg16; do echo "-- $c"; bench "$OUT/$c" "$QUERIES"; done

echo "== search --threads: queries per second on the one-segment index"
for t in 1 2 1 2; do
  "$S" search --index "$OUT/one" --queries "$QUERIES" -k 10 --threads $t --output "$OUT/threads$t.trec"
done
cmp "$OUT/threads1.trec" "$OUT/threads2.trec" && echo "runs identical with 1 and 2 threads"

if [[ -n $TEXT ]]; then
  echo "== BM25: a fresh build against a live collection of 6 segments (batches of 1000, no merges)"
  rm -rf "$OUT/bm25-one" "$OUT/bm25-live"
  "$S" index --text --input "$TEXT" --output "$OUT/bm25-one" -q
  "$S" add --text --index "$OUT/bm25-live" --input "$TEXT" --batch 1000 --memory 1 --no-merges --fsync none
  "$S" info "$OUT/bm25-live" | grep segments
  for i in 1 2; do
    for c in bm25-one bm25-live; do echo "-- $c"; bench "$OUT/$c" "$TEXTQ" auto; done
  done
  "$S" search --index "$OUT/bm25-one" --queries "$TEXTQ" -k 1000 --output "$OUT/bm25-one.trec"
  "$S" search --index "$OUT/bm25-live" --queries "$TEXTQ" -k 1000 --output "$OUT/bm25-live.trec"
  cmp "$OUT/bm25-one.trec" "$OUT/bm25-live.trec" && echo "BM25 runs identical (fresh build vs 6-segment live collection)"
  { zcat -f "$TEXT" || true; } | head -1 > "$OUT/one-doc.jsonl"
  /usr/bin/time -f "add 1 document to the 6-segment BM25 collection (open, log, publish, commit): %e s" \
    "$S" add --index "$OUT/bm25-live" --input "$OUT/one-doc.jsonl" --no-merges >/dev/null
fi
