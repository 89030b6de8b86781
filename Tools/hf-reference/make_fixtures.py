#!/usr/bin/env python3
"""Expected WordPiece ids and inference-free query vectors from the Hugging Face `tokenizers`
library, for Sparrow's encoder tests (pip install tokenizers).

    python3 Tools/hf-reference/make_fixtures.py ../shared/data Tests/Fixtures/wordpiece

Writes
- corpora.hf-ids.hashes.tsv: for every text of the shared collections (the walk of
  Tools/lucene-reference/corpus_texts.py), FNV-1a 64 of the ids ([CLS] … [SEP], no truncation)
  written as decimal numbers joined by ",";
- idf-queries.jsonl: the first 300 MS MARCO dev queries encoded as OpenSearch's doc-only query
  encoder does: distinct word pieces (no special tokens) in order, weight = idf table entry.
"""
import json, os, subprocess, sys
from tokenizers import Tokenizer

data, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
tok = Tokenizer.from_file(f"{data}/models/splade-tiny/tokenizer.json")
tok.no_padding()
tok.no_truncation()

def fnv(text):
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "x")

texts = subprocess.run([sys.executable, f"{here}/../lucene-reference/corpus_texts.py", data],
                       check=True, capture_output=True, text=True).stdout.split("\n")[:-1]
with open(f"{out}/corpora.hf-ids.hashes.tsv", "w") as f:
    for line in texts:
        d = json.loads(line)
        f.write(f"{d['id']}\t{fnv(','.join(map(str, tok.encode(d['text']).ids)))}\n")

idf = json.load(open(f"{data}/idf/opensearch-doc-v2-idf.json"))
special = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
with open(f"{data}/msmarco-dev-queries/queries.jsonl") as f, open(f"{out}/idf-queries.jsonl", "w") as o:
    for line in list(f)[:300]:
        q = json.loads(line)
        tokens, weights = [], []
        for t in tok.encode(q["text"], add_special_tokens=False).tokens:
            if t in special or t in tokens or idf.get(t, 0) <= 0:
                continue
            tokens.append(t)
            weights.append(idf[t])
        o.write(json.dumps({"id": q["_id"], "text": q["text"], "tokens": tokens, "weights": weights}, ensure_ascii=False) + "\n")
print(len(texts), "texts")
