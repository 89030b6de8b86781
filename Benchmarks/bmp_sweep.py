#!/usr/bin/env python3
"""BMP (the peer engine), built once, then searched with every (alpha, beta) pair: the peer's BMP
points of the recall/latency curve in BENCHMARKS.md ("Approximate retrieval"). Indexing, weight
quantisation and timing are those of ../shared/tools/peers/bmp.py (u8 document weights, 32-document
blocks), using that folder's common.py helpers.

usage: bmp_sweep.py DOCS QUERIES OUTDIR [--alphas 1,0.9,0.8,0.7] [--betas 1,0.7,0.5] [--k 10] [--warmup 100]
Writes OUTDIR/bmp.a{A}.b{B}.trec and one JSON line per setting to OUTDIR/bmp-sweep.jsonl.
"""
import json, os

from sweep_common import common, parser

ap = parser()
ap.add_argument('--alphas', default='1,0.9,0.8,0.7')
ap.add_argument('--betas', default='1,0.7,0.5')
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
import bmp
qids, queries = common.load_jsonl(a.queries, 'vector')
path = os.path.join(a.out, 'index.bmp')
with common.Stopwatch() as build:
    scale = 255.0 / max(max(v.values()) for _, v in common.iter_jsonl(a.docs, 'vector') if v)
    ix = bmp.Indexer(path, bsize=32, compress_range=False)
    for did, vec in common.iter_jsonl(a.docs, 'vector'):
        ix.add_document(did, {t: min(255, max(1, int(round(w * scale)))) for t, w in vec.items() if w > 0})
    ix.finish()
    searcher = bmp.Searcher(path)
queries = [{t: float(w) for t, w in q.items() if w > 0} for q in queries]
with open(os.path.join(a.out, 'bmp-sweep.jsonl'), 'w') as log:
    for alpha in [float(x) for x in a.alphas.split(',')]:
        for beta in [float(x) for x in a.betas.split(',')]:
            def search(q, k):
                d, s = searcher.search(q, k=k, alpha=alpha, beta=beta)
                return list(zip(d, s))
            results, lat = common.run_queries(qids, queries, search, a.k, a.warmup)
            run = os.path.join(a.out, f'bmp.a{alpha}.b{beta}.trec')
            common.write_trec(run, results, 'bmp')
            row = {'engine': 'bmp', 'alpha': alpha, 'beta': beta, 'build_s': round(build.s, 2),
                   'index_mb': round(os.path.getsize(path) / 2**20, 1), 'peak_rss_mb': round(common.rss_mb(), 1), 'run': run}
            row.update(common.latency_summary(lat))
            print(json.dumps(row), flush=True)
            log.write(json.dumps(row) + '\n')
os.remove(path)
