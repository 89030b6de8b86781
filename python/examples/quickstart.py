"""Sparrow from Python, step by step (run it: `python python/examples/quickstart.py` after installing
the wheel; each step prints what it shows).

Uses the bundled toy collection (20 MS MARCO passages with SPLADE vectors) and, when it is there, the
SPLADE model in ../shared/data/models/splade-tiny.
"""

# %% Load the bundled documents: {"id", "content", "vector": {token: weight}} lines.
import json
import tempfile
from pathlib import Path

import numpy as np

import sparrow

root = Path(__file__).resolve().parents[2]
docs = [json.loads(line) for line in (root / "Examples/toy/documents.jsonl").open()]
queries = [json.loads(line) for line in (root / "Examples/toy/queries.jsonl").open()]
print(f"{len(docs)} documents, {len(queries)} queries, Sparrow {sparrow.__version__}")

# %% Build an index in memory and search it with one query: ids and scores come back as numpy arrays.
index = sparrow.Index.build([d["id"] for d in docs], [d["vector"] for d in docs])
ids, scores = index.search(queries[0]["vector"], k=3)
print("query:", queries[0]["content"])
for i, s in zip(ids, scores):
    print(f"  {i:>8}  {s:7.3f}")

# %% Many queries at once, on every core, without the GIL; any exact algorithm gives the same hits.
results = index.search_batch([q["vector"] for q in queries], k=3, algorithm="maxscore")
print("top hit of each query:", [str(r[0][0]) if len(r[0]) else None for r in results])

# %% Vectors as a scipy CSR matrix with a vocabulary (what many pipelines produce).
try:
    import scipy.sparse as sp

    vocab = sorted({t for d in docs for t in d["vector"]})
    column = {t: j for j, t in enumerate(vocab)}
    rows, cols, vals = zip(*[(r, column[t], w) for r, d in enumerate(docs) for t, w in d["vector"].items()])
    matrix = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(docs), len(vocab)))
    same = sparrow.Index.build([d["id"] for d in docs], matrix, vocab=vocab)
    assert list(same.search(queries[0]["vector"], k=3)[0]) == list(ids)
    print("the CSR-built index answers the same")
except ImportError:
    print("(scipy is not installed: skipping the CSR example)")

# %% A collection on disk takes writes: upsert by id, delete, commit; reopen it later.
with tempfile.TemporaryDirectory() as tmp:
    live = sparrow.Index.build([d["id"] for d in docs], [d["vector"] for d in docs], path=f"{tmp}/toy")
    added, replaced = live.add(["new-1"], [{"paula": 3.0, "brother": 2.0}])
    deleted = live.delete([str(docs[0]["id"])])
    live.close()
    with sparrow.Index.open(f"{tmp}/toy") as reopened:
        print(f"added {added}, replaced {replaced}, deleted {deleted};", reopened.stats())
        print("new document found:", reopened.search(queries[0]["vector"], k=1)[0])

# %% Text with BM25: the analyzer and scores are Anserini's.
text = sparrow.Index.build_text([d["id"] for d in docs], [d["content"] for d in docs])
print("BM25:", text.search("paula deen brother", k=2))

# %% Bad input raises a Python exception that names the row and the token.
try:
    sparrow.Index.build(["a", "b"], [{"x": 1.0}, {"y": float("nan")}])
except sparrow.InvalidArgumentError as error:
    print("refused:", error)

# %% Encode text with the SPLADE model, inside Sparrow (no PyTorch).
model = root.parent / "shared/data/models/splade-tiny"
if model.exists():
    encoder = sparrow.Encoder(model)
    vector = encoder.encode([queries[0]["content"]])[0]
    print("SPLADE terms:", sorted(vector, key=vector.get, reverse=True)[:5])
    encoded = sparrow.Index.build_text([d["id"] for d in docs], [d["content"] for d in docs], encoder=model)
    print("SPLADE index:", encoded.search(queries[0]["content"], k=2))
