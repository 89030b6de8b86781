#!/usr/bin/env bash
# Scale (issue 11): bounded-memory builds at 1M and 10M documents, exact agreement with the
# reference at 10M, and the latency of every algorithm at both sizes. Release build.
#
# usage: Benchmarks/scale.sh DOCS_1M DOCS_10M QUERIES REFERENCE_RUN OUTDIR
#   DOCS_*         scale-ups of the 30k pool:
#                  python3 ../shared/tools/scale/scale_up.py --docs ../shared/data/msmarco-dl-pool/splade-tiny/docs.jsonl.gz \
#                    --n 10000000 --seed 7 --out docs10m.jsonl          (and --n 1000000 for docs1m.jsonl)
#   QUERIES        head -200 of the 1000 dev queries (../shared/data/msmarco-dev-queries/splade-tiny/queries.jsonl)
#   REFERENCE_RUN  exact top-20 over DOCS_10M, computed shard by shard with exact_search.py and
#                  merged by Benchmarks/merge_runs.py (see BENCHMARKS.md)
#   OUTDIR         indexes and runs (about 35 GB at 10M with range indexes)
# MEMORY (MiB, default 1024) is the build's budget; CORE_ID (default 1) pins single-thread timings.
set -euo pipefail
D1=$1 D10=$2 Q=$3 REF=$4 OUT=$5
HERE=$(cd "$(dirname "$0")/.." && pwd)
S=${SPARROW:-$HERE/.build/release/sparrow}
CORE="taskset -c ${CORE_ID:-1}"
mkdir -p "$OUT"

echo "== 1M: one-shot (budget above the input) against the default 1 GiB budget"
rm -rf "$OUT/1m-one" "$OUT/1m"
$CORE /usr/bin/time -f "index 1M, --memory 100000: %e s, peak RSS %M KB" "$S" index -q --input "$D1" --output "$OUT/1m-one" --range-size 32 --memory 100000
$CORE /usr/bin/time -f "index 1M, --memory ${MEMORY:-1024}: %e s, peak RSS %M KB" "$S" index -q --input "$D1" --output "$OUT/1m" --range-size 32 --memory "${MEMORY:-1024}"
for f in "$OUT"/1m-one/seg-*; do cmp "$f" "$OUT"/1m/seg-*."${f##*.}"; done && echo "1M: the two builds' files are identical"
rm -rf "$OUT/1m-one"

echo "== 10M"
rm -rf "$OUT/10m"
$CORE /usr/bin/time -f "index 10M, --memory ${MEMORY:-1024}: %e s, peak RSS %M KB" "$S" index -q --input "$D10" --output "$OUT/10m" --range-size 32 --memory "${MEMORY:-1024}"
"$S" info "$OUT/10m"

for n in 1m 10m; do
  echo "-- $n: latency of every algorithm, 200 queries, k = 10"
  $CORE "$S" bench --index "$OUT/$n" --queries "$Q" -k 10 --algorithms all --warmup 20
done
"$S" search --index "$OUT/10m" --queries "$Q" -k 10 --output "$OUT/10m.trec" >/dev/null
python3 "$HERE/../shared/tools/peers/compare.py" --exact "$REF" --k 10 "$OUT/10m.trec"
python3 "$HERE/Benchmarks/same_top.py" "$REF" "$OUT/10m.trec"
