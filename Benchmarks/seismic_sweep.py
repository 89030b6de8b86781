#!/usr/bin/env python3
"""Seismic, built once, then searched with every (query_cut, heap_factor) pair: the peer's side of
the recall/latency curve in BENCHMARKS.md ("Approximate retrieval"). Uses the peer driver's helpers
(../shared/tools/peers/common.py) for loading, timing and TREC output, so the figures are measured
the same way as seismic.py's.

usage: seismic_sweep.py DOCS QUERIES OUTDIR [--cuts 3,5,8,10,15,20] [--heap-factors 0.6,0.7,0.8,0.9,1.0]
                        [--n-postings 3500] [--k 10] [--warmup 100] [--build-threads 1]
Writes OUTDIR/seismic.qc{C}.hf{H}.trec and one JSON line per setting to OUTDIR/seismic-sweep.jsonl
(build time, index build time, peak RSS after the build and after the searches, latency summary).
"""
import json, os
import numpy as np

from sweep_common import common, parser

ap = parser()
ap.add_argument('--cuts', default='3,5,8,10,15,20')
ap.add_argument('--heap-factors', default='0.6,0.7,0.8,0.9,1.0')
ap.add_argument('--n-postings', type=int, default=3500)
ap.add_argument('--build-threads', type=int, default=1)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
import seismic
st = seismic.get_seismic_string()
qids, qvecs = common.load_jsonl(a.queries, 'vector')
with common.Stopwatch() as load:
    ds = seismic.SeismicDataset()
    for did, vec in common.iter_jsonl(a.docs, 'vector'):
        ds.add_document(did, np.array(list(vec.keys()), dtype=st), np.array(list(vec.values()), dtype=np.float32))
with common.Stopwatch() as build:
    index = seismic.SeismicIndex.build_from_dataset(ds, n_postings=a.n_postings, centroid_fraction=0.1, min_cluster_size=2,
                                                    summary_energy=0.4, max_fraction=1.5, doc_cut=15, nknn=0,
                                                    num_threads=a.build_threads)
del ds
rss_built = common.rss_mb()
queries = [(np.array(list(v.keys()), dtype=st), np.array(list(v.values()), dtype=np.float32)) for v in qvecs]
with open(os.path.join(a.out, 'seismic-sweep.jsonl'), 'w') as log:
    for qc in [int(x) for x in a.cuts.split(',')]:
        for hf in [float(x) for x in a.heap_factors.split(',')]:
            def search(q, k):
                return [(d, s) for _, s, d in index.search('q', q[0], q[1], k, qc, hf, 0, True)]
            results, lat = common.run_queries(qids, queries, search, a.k, a.warmup)
            path = os.path.join(a.out, f'seismic.qc{qc}.hf{hf}.trec')
            common.write_trec(path, results, 'seismic')
            row = {'engine': 'seismic', 'query_cut': qc, 'heap_factor': hf, 'n_postings': a.n_postings,
                   'load_s': round(load.s, 2), 'index_build_s': round(build.s, 2), 'rss_after_build_mb': round(rss_built, 1),
                   'peak_rss_mb': round(common.rss_mb(), 1), 'run': path}
            row.update(common.latency_summary(lat))
            print(json.dumps(row), flush=True)
            log.write(json.dumps(row) + '\n')
