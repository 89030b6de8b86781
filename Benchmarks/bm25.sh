#!/usr/bin/env bash
# Side-by-side BM25 benchmark (issue 4): Sparrow against tantivy and bm25s on one core.
#
# usage: Benchmarks/bm25.sh CORPUS QUERIES OUTDIR [WARMUP]
#   CORPUS   BEIR corpus JSONL(.gz) ({"_id","title","text"}; title and text are joined for every engine)
#   QUERIES  BEIR queries JSONL ({"_id","text"})
#   OUTDIR   where indexes, runs and summaries go (outside the repository)
# Example: Benchmarks/bm25.sh ../shared/data/scifact/corpus.jsonl.gz ../shared/data/scifact/queries.test.jsonl /tmp/bench/bm25-scifact
# CORE_ID (default 1) picks the core. Needs a release build (swift build -c release) and the peers' venv
# (../shared/tools/peers/install.sh VENV, VENV=${VENV:-$OUTDIR/../peers-venv}).
# Prints one line per engine and k; JSON summaries land in OUTDIR.
set -euo pipefail
CORPUS=$1 QUERIES=$2 OUT=$3 WARMUP=${4:-100}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$HERE/../shared/tools/peers
VENV=${VENV:-$OUT/../peers-venv}
SPARROW=$HERE/.build/release/sparrow
CORE="taskset -c ${CORE_ID:-1}"
mkdir -p "$OUT"

# The peers read {"id","text"} lines: the same flat text Sparrow indexes.
python3 - "$CORPUS" "$QUERIES" "$OUT" <<'PY'
import gzip, json, sys
corpus, queries, out = sys.argv[1:4]
opener = gzip.open if corpus.endswith(".gz") else open
with opener(corpus, "rt", encoding="utf-8") as f, open(f"{out}/docs.jsonl", "w") as o:
    for line in f:
        d = json.loads(line)
        title = d.get("title") or ""
        o.write(json.dumps({"id": d["_id"], "text": f"{title} {d['text']}" if title else d["text"]}) + "\n")
with open(queries, encoding="utf-8") as f, open(f"{out}/queries.jsonl", "w") as o:
    for line in f:
        d = json.loads(line)
        o.write(json.dumps({"id": d["_id"], "text": d["text"]}) + "\n")
PY

/usr/bin/time -v $CORE "$SPARROW" index --text --input "$CORPUS" --output "$OUT/sparrow-index" -q > "$OUT/sparrow-build.log" 2>&1
grep -E "indexed|Elapsed|Maximum resident" "$OUT/sparrow-build.log"
for k in 10 1000; do
  $CORE "$SPARROW" bench --index "$OUT/sparrow-index" --queries "$QUERIES" -k $k --warmup "$WARMUP" \
    --algorithms auto,maxscore,block-max-wand,wand --json > "$OUT/sparrow.k$k.json"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))
for x in r['results']: print(f\"[sparrow {x['algorithm']}] k={r['k']} mean {x['meanMicros']:.1f}us p50 {x['p50Micros']:.1f}us p99 {x['p99Micros']:.1f}us\")" "$OUT/sparrow.k$k.json"
  $CORE "$SPARROW" search --index "$OUT/sparrow-index" --queries "$QUERIES" -k $k --output "$OUT/sparrow.k$k.trec" 2>/dev/null
  for tok in default en_stem; do
    $CORE "$VENV/bin/python" "$PEERS/tantivy.py" --docs "$OUT/docs.jsonl" --queries "$OUT/queries.jsonl" --k $k \
      --warmup "$WARMUP" --tokenizer $tok --out "$OUT/tantivy-$tok.k$k.trec" --json "$OUT/tantivy-$tok.k$k.json" | grep -v SUMMARY
  done
  $CORE "$VENV/bin/python" "$PEERS/bm25s.py" --docs "$OUT/docs.jsonl" --queries "$OUT/queries.jsonl" --k $k \
    --warmup "$WARMUP" --backend numba --out "$OUT/bm25s.k$k.trec" --json "$OUT/bm25s.k$k.json" | grep -v SUMMARY
done
