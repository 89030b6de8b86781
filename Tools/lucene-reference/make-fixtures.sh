#!/bin/sh
# Regenerates Sparrow's Lucene reference fixtures (Tests/Fixtures/analyzer/*.lucene.*) with real
# Lucene 9 and Anserini 0.22.1, taken from the pyserini 0.22.1 wheel on PyPI. Needs Java 11+,
# python3 and pip. Run from the repository root:  sh Tools/lucene-reference/make-fixtures.sh
set -eu
WORK=${WORK:-/tmp/sparrow-lucene}
DATA=${DATA:-../shared/data}
OUT=Tests/Fixtures/analyzer
mkdir -p "$WORK/classes"
JAR="$WORK/pyserini/resources/jars/anserini-0.22.1-fatjar.jar"
if [ ! -f "$JAR" ]; then
  pip download pyserini==0.22.1 --no-deps -d "$WORK"
  (cd "$WORK" && unzip -o -q pyserini-0.22.1-py3-none-any.whl 'pyserini/resources/jars/*')
fi
javac -cp "$JAR" -d "$WORK/classes" Tools/lucene-reference/LuceneReference.java
run() { java -cp "$JAR:$WORK/classes" LuceneReference "$@"; }

run analyze  < "$OUT/edge-cases.jsonl" > "$OUT/edge-cases.lucene-english.jsonl"
run tokenize < "$OUT/edge-cases.jsonl" > "$OUT/edge-cases.lucene-tokenizer.jsonl"
python3 Tools/lucene-reference/corpus_texts.py "$DATA" > "$WORK/corpora.jsonl"
run hash < "$WORK/corpora.jsonl" > "$OUT/corpora.lucene-english.hashes.tsv"
run smallfloat > "$OUT/smallfloat.lucene.tsv"
wc -l "$OUT"/*.lucene*

# Anserini BM25 flat runs (k1 0.9, b 0.4, default English analyzer, -removeQuery as in its BEIR
# regressions), 1000 deep; the fixtures keep the top 10 per query.
mkdir -p Tests/Fixtures/bm25
for c in scifact nfcorpus cranfield; do
  queries="$DATA/$c/queries.test.jsonl"; [ -f "$queries" ] || queries="$DATA/$c/queries.jsonl"
  rm -rf "$WORK/$c-corpus" "$WORK/$c-index"
  mkdir -p "$WORK/$c-corpus"
  gzip -dc "$DATA/$c/corpus.jsonl.gz" > "$WORK/$c-corpus/corpus.jsonl"
  python3 -c "import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(d['_id'] + '\t' + ' '.join(d['text'].split()))" "$queries" > "$WORK/$c-topics.tsv"
  java -cp "$JAR" io.anserini.index.IndexCollection -collection BeirFlatCollection -input "$WORK/$c-corpus" \
    -index "$WORK/$c-index" -generator DefaultLuceneDocumentGenerator -threads 1 -storeRaw -optimize > /dev/null 2>&1
  java -cp "$JAR" io.anserini.search.SearchCollection -index "$WORK/$c-index" -topics "$WORK/$c-topics.tsv" \
    -topicreader TsvString -output "$WORK/$c-run.trec" -bm25 -removeQuery -hits 1000 > /dev/null 2>&1
  # The top 10 per query is the fixture; the full run gives Anserini's metrics (sparrow eval).
  awk '{ if (n[$1]++ < 10) print }' "$WORK/$c-run.trec" > "Tests/Fixtures/bm25/$c.anserini-bm25-top10.trec"
done
wc -l Tests/Fixtures/bm25/*
