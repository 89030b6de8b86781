#!/usr/bin/env bash
# Side-by-side benchmark of Sparrow's query algorithms and the peer engines (issue 3), one core.
#
# usage: Benchmarks/pruning.sh DOCS QUERIES OUTDIR [sparrow|peers|all]
#   DOCS     {"id","vector"} JSONL (the 30k pool, or the 1M scale-up:
#            python3 ../shared/tools/scale/scale_up.py --docs ../shared/data/msmarco-dl-pool/splade-tiny/docs.jsonl.gz \
#                --n 1000000 --seed 7 --out /tmp/bench/docs1m.jsonl)
#   QUERIES  {"id","vector"} JSONL (head -1000 ../shared/data/msmarco-dev-queries/splade-tiny/queries.jsonl)
#   OUTDIR   where indexes, runs and summaries go (outside the repository)
# CORE_ID (default 1) picks the core. Needs a release build (swift build -c release) and, for the peers, ../shared/tools/peers/install.sh VENV
# with VENV=${VENV:-$OUTDIR/../peers-venv}. Prints one line per configuration; JSON summaries land in OUTDIR.
set -euo pipefail
DOCS=$1 QUERIES=$2 OUT=$3 WHAT=${4:-all}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$HERE/../shared/tools/peers
VENV=${VENV:-$OUT/../peers-venv}
SPARROW=$HERE/.build/release/sparrow
mkdir -p "$OUT"
CORE="taskset -c ${CORE_ID:-1}"

if [[ $WHAT == sparrow || $WHAT == all ]]; then
  # The default index (no range index): build time, size and peak RSS; the default algorithm's
  # latency and peak RSS alone; TREC runs for checking against the float reference.
  for order in none cluster; do
    flag=""; [[ $order == cluster ]] && flag=--reorder
    /usr/bin/time -v $CORE "$SPARROW" index --input "$DOCS" --output "$OUT/default-$order" -q $flag \
      > "$OUT/build-default-$order.log" 2>&1
  done
  for k in 10 1000; do
    $CORE "$SPARROW" bench --index "$OUT/default-none" --queries "$QUERIES" -k $k --algorithms auto --json \
      > "$OUT/default.k$k.auto.json"
    $CORE "$SPARROW" search --index "$OUT/default-none" --queries "$QUERIES" -k $k --output "$OUT/sparrow.k$k.trec"
  done
  # Every algorithm, on indexes with 32-document ranges, in input order and reordered.
  for order in none cluster; do
    flag=""; [[ $order == cluster ]] && flag=--reorder
    idx=$OUT/ranges-$order
    /usr/bin/time -v $CORE "$SPARROW" index --input "$DOCS" --output "$idx" -q --range-size 32 $flag \
      > "$OUT/build-ranges-$order.log" 2>&1
    for k in 10 1000; do
      $CORE "$SPARROW" bench --index "$idx" --queries "$QUERIES" -k $k --warmup 100 --json > "$OUT/sparrow-$order.k$k.json"
    done
  done
  python3 "$HERE/Benchmarks/table.py" "$OUT" 10
  python3 "$HERE/Benchmarks/table.py" "$OUT" 1000
fi

if [[ $WHAT == peers || $WHAT == all ]]; then
  for k in 10 1000; do
    for algo in maxscore block_max_wand; do
      $CORE "$VENV/bin/python" "$PEERS/pisa.py" --docs "$DOCS" --queries "$QUERIES" --k $k --warmup 100 \
        --query-algorithm $algo --out "$OUT/pisa-$algo.k$k.trec" --json "$OUT/pisa-$algo.k$k.json" | grep -v SUMMARY
    done
    $CORE "$VENV/bin/python" "$PEERS/bmp.py" --docs "$DOCS" --queries "$QUERIES" --k $k --warmup 100 \
      --alpha 1 --beta 1 --out "$OUT/bmp.k$k.trec" --json "$OUT/bmp.k$k.json" | grep -v SUMMARY
    $CORE "$VENV/bin/python" "$PEERS/seismic.py" --docs "$DOCS" --queries "$QUERIES" --k $k --warmup 100 \
      --out "$OUT/seismic.k$k.trec" --json "$OUT/seismic.k$k.json" | grep -v SUMMARY
  done
fi
