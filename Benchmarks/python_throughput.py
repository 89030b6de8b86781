#!/usr/bin/env python3
"""Throughput of Sparrow's Python search_batch against the Sparrow CLI and Seismic's Python API, in
one run on the same queries (BENCHMARKS.md, "Python").

usage: python_throughput.py --exact DIR [--clustered DIR] --queries Q.jsonl --cli SPARROW [--docs D.jsonl]
                            [--threads 1,2] [--repeat 3] [--seismic-n-postings 3500] [--seismic-build-threads 2]

- Sparrow Python: the index opened read-only; the queries turned into one scipy CSR matrix once,
  then search_batch(k=10) timed (best of --repeat) at each thread count; exact (the default
  algorithm) and, with --clustered, the recall 0.95 preset.
- Sparrow CLI, one thread: `sparrow bench` (the same searches, timed inside the process).
- Sparrow CLI, T threads: `sparrow search --queries Q --threads T` wall time, minus the same
  command's time with a one-query file (start-up, opening the index, writing the run).
- Seismic (with --docs): built from the documents (query_cut 5, heap_factor 0.9, Seismic's
  defaults otherwise), then batch_search timed the same way; recall@10 against Sparrow's exact run.

Prints one JSON line per measurement and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

import sparrow


def load_queries(path):
    ids, vectors = [], []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids.append(str(r["id"]))
                vectors.append(r["vector"])
    return ids, vectors


def to_csr(vectors):
    vocab = {}
    rows, cols, vals = [], [], []
    for r, v in enumerate(vectors):
        for t, w in v.items():
            rows.append(r)
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(w)
    matrix = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(vectors), len(vocab)))
    return matrix, tuple(vocab)


def best_of(repeat, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def cli_threads(cli, index, queries, threads, extra, one_query):
    def run(qfile):
        start = time.perf_counter()
        subprocess.run([cli, "search", "--index", index, "--queries", qfile, "-k", "10", "--threads", str(threads),
                        "--output", os.devnull] + extra, check=True, capture_output=True)
        return time.perf_counter() - start

    full = min(run(queries) for _ in range(3))
    base = min(run(one_query) for _ in range(3))
    return full - base


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exact", required=True)
    ap.add_argument("--clustered")
    ap.add_argument("--queries", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--docs")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tile", type=int, default=1, help="search the query set this many times over (longer, steadier timings)")
    ap.add_argument("--seismic-n-postings", type=int, default=3500)
    ap.add_argument("--seismic-build-threads", type=int, default=2)
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    qids, qvecs = load_queries(a.queries)
    if a.tile > 1:  # the same queries again under new ids, in a file the CLI reads too
        qids = [f"{q}.{t}" for t in range(a.tile) for q in qids]
        qvecs = qvecs * a.tile
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tiled:
            for q, v in zip(qids, qvecs):
                tiled.write(json.dumps({"id": q, "vector": v}) + "\n")
        a.queries = tiled.name
    n = len(qids)
    matrix, vocab = to_csr(qvecs)
    rows = []

    def report(**row):
        rows.append(row)
        print(json.dumps(row), flush=True)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as one:
        one.write(json.dumps({"id": qids[0], "vector": qvecs[0]}) + "\n")
    settings = [("exact", a.exact, {}, ["--algorithms", "exhaustive-taat"], [])]
    if a.clustered:
        settings.append(("recall 0.95", a.clustered, {"recall": 0.95}, ["--setting", "recall=0.95"], ["--recall", "0.95"]))
    exact_run = None
    for name, path, options, bench_args, search_args in settings:
        index = sparrow.Index.open(path, read_only=True)
        index.search_batch(matrix[:50], k=10, vocab=vocab, **options)  # warm-up: pages in the index
        for t in threads:
            seconds, results = best_of(a.repeat, lambda: index.search_batch(matrix, k=10, vocab=vocab, threads=t, **options))
            report(engine="sparrow-python", setting=name, threads=t, queries=n, seconds=round(seconds, 4), qps=round(n / seconds, 1))
            if name == "exact" and t == threads[0]:
                exact_run = [set(ids.tolist()) for ids, _ in results]
        index.close()
        out = subprocess.run([a.cli, "bench", "--index", path, "--queries", a.queries, "-k", "10", "--json"] + bench_args,
                             check=True, capture_output=True, text=True).stdout
        bench = json.loads(out)["results"][0]
        report(engine="sparrow-cli-bench", setting=name, threads=1, queries=n, qps=round(bench["qps"], 1),
               recall_at_10=round(bench["recallAt10"], 4))
        for t in threads:
            seconds = cli_threads(a.cli, path, a.queries, t, search_args, one.name)
            report(engine="sparrow-cli-search", setting=name, threads=t, queries=n, seconds=round(seconds, 4),
                   qps=round(n / seconds, 1))
    os.unlink(one.name)

    if a.docs:
        import seismic

        st = seismic.get_seismic_string()
        start = time.perf_counter()
        ds = seismic.SeismicDataset()
        with open(a.docs) as f:
            for line in f:
                r = json.loads(line)
                v = r["vector"]
                ds.add_document(str(r["id"]), np.array(list(v.keys()), dtype=st), np.array(list(v.values()), dtype=np.float32))
        index = seismic.SeismicIndex.build_from_dataset(ds, n_postings=a.seismic_n_postings, centroid_fraction=0.1,
                                                        min_cluster_size=2, summary_energy=0.4, max_fraction=1.5,
                                                        doc_cut=15, nknn=0, num_threads=a.seismic_build_threads)
        del ds
        build_s = time.perf_counter() - start
        comps = [np.array(list(v.keys()), dtype=st) for v in qvecs]
        vals = [np.array(list(v.values()), dtype=np.float32) for v in qvecs]
        qid_array = np.array(qids, dtype=st)
        index.batch_search(qid_array[:50], comps[:50], vals[:50], 10, 5, 0.9, num_threads=1)
        for t in threads:
            seconds, results = best_of(a.repeat, lambda: index.batch_search(qid_array, comps, vals, 10, 5, 0.9, num_threads=t))
            recall = None
            if exact_run is not None:
                found = {}
                for r in results:  # (query id, score, document id) tuples; lists may come in any order
                    for q, _, d in r:
                        found.setdefault(q, set()).add(d)
                recall = float(np.mean([len(found.get(q, set()) & e) / max(len(e), 1) for q, e in zip(qids, exact_run)]))
            report(engine="seismic-python", setting="query_cut 5, heap_factor 0.9", threads=t, queries=n,
                   seconds=round(seconds, 4), qps=round(n / seconds, 1), recall_at_10=recall, build_s=round(build_s, 1))

    print("\n| engine | setting | threads | queries/s |")
    print("|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['engine']} | {r['setting']} | {r['threads']} | {r['qps']:,.0f} |")


if __name__ == "__main__":
    sys.exit(main())
