#!/usr/bin/env python3
"""Writes {"id": "COLLECTION/DOCID" or "COLLECTION/q/QID", "text": ...} lines for every document
(BEIR flat: title + " " + text) and query of the shared collections, in a fixed order. Sparrow's
analyzer test walks the same files in the same way."""
import glob, gzip, json, sys

data = sys.argv[1]
out = sys.stdout
for c in ["scifact", "nfcorpus", "cranfield", "cacm", "msmarco-dl-pool", "msmarco-dev-queries"]:
    corpus = f"{data}/{c}/corpus.jsonl.gz"
    if glob.glob(corpus):
        for line in gzip.open(corpus, "rt", encoding="utf-8"):
            d = json.loads(line)
            title = d.get("title") or ""
            text = f"{title} {d['text']}" if title else d["text"]
            out.write(json.dumps({"id": f"{c}/{d['_id']}", "text": text}, ensure_ascii=False) + "\n")
    for q in sorted(glob.glob(f"{data}/{c}/queries*.jsonl")):
        for line in open(q, encoding="utf-8"):
            d = json.loads(line)
            out.write(json.dumps({"id": f"{c}/q/{d['_id']}", "text": d["text"]}, ensure_ascii=False) + "\n")
