#!/usr/bin/env python3
"""Merge TREC runs of disjoint shards into the run of the whole collection.

usage: merge_runs.py --k K SHARD_RUN [SHARD_RUN ...] > merged.trec

Hits are ranked by score, highest first; equal scores keep the shards' order (the earlier shard
first, then its own rank), which is the reference's tie rule (the earlier document in the file)
when the shards are consecutive slices of one file given in order.
"""
import argparse
from collections import defaultdict

ap = argparse.ArgumentParser()
ap.add_argument('--k', type=int, required=True)
ap.add_argument('runs', nargs='+')
a = ap.parse_args()
hits = defaultdict(list)
for shard, path in enumerate(a.runs):
    with open(path) as f:
        for line in f:
            q, _, doc, rank, score, _ = line.split()
            hits[q].append((-float(score), shard, int(rank), doc, score))
for q in hits:
    for rank, (_, _, _, doc, score) in enumerate(sorted(hits[q])[:a.k], 1):
        print(f"{q} Q0 {doc} {rank} {score} exact")
