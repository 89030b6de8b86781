"""On the 30k MS MARCO passages (real SPLADE vectors), Python's results equal the CLI's: the same
documents in the same order with the same scores, for the TREC DL 2019 and 2020 queries."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sparrow
from conftest import ROOT, SHARED, require

POOL = SHARED / "data" / "msmarco-dl-pool" / "splade-tiny"


def cli() -> str:
    explicit = os.environ.get("SPARROW_CLI")
    candidates = [Path(explicit)] if explicit else [ROOT / ".build" / "debug" / "sparrow", ROOT / ".build" / "release" / "sparrow"]
    for c in candidates:
        if c.exists():
            return str(c)
    pytest.fail(f"no sparrow CLI at {', '.join(map(str, candidates))}: run `swift build` or set SPARROW_CLI")


def read_jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    run: dict[str, list[tuple[str, float]]] = {}
    for line in path.read_text().splitlines():
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, []).append((doc, float(score)))
    return run


@pytest.mark.parametrize("algorithm", [None, "maxscore"])
def test_python_equals_the_cli_on_msmarco(tmp_path, algorithm):
    docs = read_jsonl(require(POOL / "docs.jsonl.gz"))
    index = sparrow.Index.build([d["id"] for d in docs], [d["vector"] for d in docs])
    assert index.stats().documents == len(docs)
    subprocess.run([cli(), "index", "--input", str(POOL / "docs.jsonl.gz"), "--output", str(tmp_path / "index")],
                   check=True, capture_output=True)
    compared = 0
    for name in ("queries.dl19.jsonl", "queries.dl20.jsonl"):
        queries = read_jsonl(POOL / name)
        args = [cli(), "search", "--index", str(tmp_path / "index"), "--queries", str(POOL / name), "-k", "10",
                "--output", str(tmp_path / "run")]
        if algorithm:
            args += ["--algorithm", algorithm]
        subprocess.run(args, check=True, capture_output=True)
        expected = read_run(tmp_path / "run")
        results = index.search_batch([q["vector"] for q in queries], k=10, algorithm=algorithm)
        for q, (ids, scores) in zip(queries, results):
            want = expected.get(q["id"], [])
            # The run lists tied documents by ascending id and steps their scores apart by one float
            # step; compare in that order, scores to within a few steps.
            got = sorted(zip(ids.tolist(), scores.tolist()), key=lambda x: (-x[1], x[0]))
            assert [d for d, _ in got] == [d for d, _ in want], q["id"]
            assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-6, atol=0), q["id"]
            compared += 1
    assert compared == 43 + 54
