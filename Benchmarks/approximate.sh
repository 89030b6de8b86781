#!/usr/bin/env bash
# Approximate retrieval (issue 13), side by side with the peers, one core: Sparrow's clustered layout
# swept over query-cut and heap-factor and its recall presets, Sparrow's BMP with alpha/beta, Seismic
# swept over query_cut and heap_factor (built once), BMP (the peer) swept over alpha and beta (built
# once), and Sparrow's exact default; recall@10 of each against the exhaustive top-10; builds' time
# and peak RSS; index sizes. Then the table and the plot (Benchmarks/approximate_report.py).
#
# usage: Benchmarks/approximate.sh DOCS QUERIES OUTDIR [sparrow|peers|all]
#   DOCS     {"id","vector"} JSONL (the 30k pool ../shared/data/msmarco-dl-pool/splade-tiny/docs.jsonl.gz,
#            or the 1M scale-up made as in Benchmarks/pruning.sh)
#   QUERIES  {"id","vector"} JSONL (head -1000 ../shared/data/msmarco-dev-queries/splade-tiny/queries.jsonl)
#   OUTDIR   where indexes, runs and summaries go (outside the repository)
# CORE_ID (default 1) picks the core. REUSE=1 keeps indexes already in OUTDIR (their build logs stay). Needs a release build (swift build -c release) and the peers'
# venv (../shared/tools/peers/install.sh VENV, VENV=${VENV:-$OUTDIR/../peers-venv}).
set -euo pipefail
DOCS=$1 QUERIES=$2 OUT=$3 WHAT=${4:-all}
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$OUT/../peers-venv}
SPARROW=${SPARROW:-$HERE/.build/release/sparrow}
mkdir -p "$OUT"
CORE="taskset -c ${CORE_ID:-1}"


if [[ $WHAT == sparrow || $WHAT == all ]]; then
  # Exact reference (the default index) and the exhaustive run the recalls are measured against.
  if [[ ${REUSE:-0} != 1 || ! -d $OUT/exact ]]; then
    /usr/bin/time -f "%e s %M KB" $CORE "$SPARROW" index --input "$DOCS" --output "$OUT/exact" -q --range-size 32 > "$OUT/build-exact.log" 2>&1
  fi
  $CORE "$SPARROW" search --index "$OUT/exact" --queries "$QUERIES" -k 10 --raw-scores --threads 1 --output "$OUT/exact.k10.trec"
  # The clustered layout with its defaults, built in one thread and in all (the same files).
  if [[ ${REUSE:-0} != 1 || ! -d $OUT/clustered ]]; then
    /usr/bin/time -f "%e s %M KB" $CORE "$SPARROW" index --input "$DOCS" --output "$OUT/clustered" -q --layout clustered > "$OUT/build-clustered.log" 2>&1
  fi
  settings=()
  for qc in 3 5 8 10 15; do for hf in 0.7 0.8 0.9 1.0 1.2; do settings+=(--setting "clustered:query-cut=$qc,heap-factor=$hf"); done; done
  for r in 0.9 0.95 0.99; do settings+=(--setting "recall=$r"); done
  $CORE "$SPARROW" bench --index "$OUT/clustered" --queries "$QUERIES" -k 10 --warmup 100 --json \
    --setting exhaustive-taat "${settings[@]}" > "$OUT/sparrow-clustered.json"
  bmp=()
  for a in 1.0 0.9 0.8; do for b in 1.0 0.5; do bmp+=(--setting "bmp:alpha=$a,beta=$b"); done; done
  $CORE "$SPARROW" bench --index "$OUT/exact" --queries "$QUERIES" -k 10 --warmup 100 --json \
    "${bmp[@]}" > "$OUT/sparrow-bmp.json"
  du -sb "$OUT/exact" "$OUT/clustered" > "$OUT/sizes.txt"
fi

if [[ $WHAT == peers || $WHAT == all ]]; then
  $CORE "$VENV/bin/python" "$HERE/Benchmarks/seismic_sweep.py" "$DOCS" "$QUERIES" "$OUT/seismic" \
    --cuts 3,5,8,10,15 --heap-factors 0.7,0.8,0.9,1.0 --build-threads 1 > "$OUT/seismic.log"
  $CORE "$VENV/bin/python" "$HERE/Benchmarks/bmp_sweep.py" "$DOCS" "$QUERIES" "$OUT/bmp" > "$OUT/bmp.log"
fi

"$VENV/bin/python" "$HERE/Benchmarks/approximate_report.py" "$OUT"
