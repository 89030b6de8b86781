#!/usr/bin/env bash
# Encoding throughput (issue 5): Sparrow's SPLADE encoder against the numpy reference, same files,
# same machine, one after the other; plus single-thread query-encoding latency.
#
# usage: Benchmarks/encode.sh OUTDIR
# Needs a release build (swift build -c release) and python3 with numpy scipy safetensors tokenizers.
# THREADS (default 2) is what Sparrow uses; the numpy reference uses its BLAS's threads (all cores).
set -euo pipefail
OUT=$1
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=$HERE/../shared/data
MODEL=$DATA/models/splade-tiny
SPARROW=$HERE/.build/release/sparrow
mkdir -p "$OUT"
gzip -dc "$DATA/scifact/corpus.jsonl.gz" > "$OUT/scifact.jsonl"
python3 -c "import gzip,sys,itertools; sys.stdout.writelines(itertools.islice(gzip.open(sys.argv[1],'rt'),1000))" \
  "$DATA/msmarco-dl-pool/corpus.jsonl.gz" > "$OUT/msmarco1000.jsonl"
head -1000 "$DATA/msmarco-dev-queries/queries.jsonl" > "$OUT/queries1000.jsonl"
for set in scifact msmarco1000; do
  "$SPARROW" encode --model "$MODEL" --input "$OUT/$set.jsonl" --output "$OUT/$set.sparrow.jsonl" --threads "${THREADS:-2}" -q
  /usr/bin/time -f "numpy reference wall %e s" python3 "$HERE/../shared/tools/reference/splade_encode.py" "$MODEL" \
    "$OUT/$set.jsonl" "$OUT/$set.numpy.jsonl" 2>&1 | grep -E "^done|wall"
done
echo "query encoding, one query at a time, one thread:"
"$SPARROW" encode --model "$MODEL" --input "$OUT/queries1000.jsonl" --output "$OUT/q.splade.jsonl" --threads 1 -q --maxlen 64 --latency | tail -1
"$SPARROW" encode --encoder "idf:$DATA/idf/opensearch-doc-v2-idf.json" --tokenizer "$MODEL" \
  --input "$OUT/queries1000.jsonl" --output "$OUT/q.idf.jsonl" --threads 1 -q --latency | tail -1
