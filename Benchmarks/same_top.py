#!/usr/bin/env python3
"""Check that a run returns exactly the reference's top-k: the same documents in the same order,
where documents whose reference scores tie (within 1e-5, the float32 rounding of Sparrow's sums)
may come in either order, and the same scores within 1e-4.

usage: same_top.py REFERENCE_RUN RUN      (prints the count of identical queries; exit 1 if any differ)
"""
import sys
from collections import defaultdict

def read(path):
    run = defaultdict(list)
    with open(path) as f:
        for line in f:
            q, _, doc, rank, score, _ = line.split()
            run[q].append((int(rank), doc, float(score)))
    return {q: [(d, s) for _, d, s in sorted(v)] for q, v in run.items()}

ref, run = read(sys.argv[1]), read(sys.argv[2])
bad = []
for q, exact in ref.items():
    got = run.get(q, [])
    k = len(got)
    ok = k == min(len(exact), k) and k > 0
    for i, (doc, score) in enumerate(got):
        if not ok:
            break
        tied = {d for d, s in exact if abs(s - exact[i][1]) <= 1e-5 * max(1.0, abs(s))}
        ok = (doc == exact[i][0] or doc in tied) and abs(score - exact[i][1]) <= 1e-4 * max(1.0, abs(score))
    if not ok:
        bad.append(q)
print(f"{len(ref) - len(bad)}/{len(ref)} queries return exactly the reference top-{max(len(v) for v in run.values())}")
if bad:
    print("differ:", " ".join(bad[:20]))
    sys.exit(1)
