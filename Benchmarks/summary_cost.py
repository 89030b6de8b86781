#!/usr/bin/env python3
"""How many summary entries a clustered search reads to bound its blocks, per query: a pass over
every summary of the query's `cut` heaviest terms' lists, against only the entries for terms the
query has (what summaries by term read). Reads the segment's files directly (numpy, memory-mapped).
BENCHMARKS.md, "Fourth run".

usage: summary_cost.py INDEX_DIR/seg-XXXX QUERIES.jsonl [--cut 5] [--queries 200]
"""
import argparse, json, struct
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('segment', help='path of the segment without extension (INDEX/seg-XXXX)')
ap.add_argument('queries', help='{"id","vector"} JSONL')
ap.add_argument('--cut', type=int, default=5)
ap.add_argument('--queries', dest='limit', type=int, default=200)
a = ap.parse_args()


def sections(path):
    """Tag -> (offset, length) from a Sparrow file's section table."""
    with open(path, 'rb') as f:
        header = f.read(64)
        count = struct.unpack_from('<I', header, 16)[0]
        table = f.read(32 * count)
    out = {}
    for i in range(count):
        tag, _, offset, length, _ = struct.unpack_from('<4sIQQQ', table, 32 * i)
        out[tag.decode()] = (offset, length)
    return out


def array(path, table, tag, dtype):
    offset, length = table[tag]
    return np.memmap(path, dtype=dtype, mode='r', offset=offset, shape=(length // np.dtype(dtype).itemsize,))


terms_path = a.segment + '.terms'
t = sections(terms_path)
offsets = array(terms_path, t, 'TOFF', '<u8')
text = bytes(array(terms_path, t, 'TBYT', 'u1'))
number = {text[offsets[i]:offsets[i + 1]].decode(): i for i in range(len(offsets) - 1)}
clusters_path = a.segment + '.clusters'
c = sections(clusters_path)
term_blocks = array(clusters_path, c, 'CTBL', '<u8')
summary_offsets = array(clusters_path, c, 'CSOF', '<u8')
summary_terms = array(clusters_path, c, 'CS16', '<u2') if 'CS16' in c else array(clusters_path, c, 'CS32', '<u4')

whole = matching = n = length = 0
for line in open(a.queries):
    vector = json.loads(line)['vector']
    q = {number[k]: w for k, w in vector.items() if k in number}
    mine = np.array(sorted(q), dtype=summary_terms.dtype)
    for term in sorted(q, key=lambda u: (-q[u], u))[:a.cut]:
        first, end = int(term_blocks[term]), int(term_blocks[term + 1])
        e0, e1 = int(summary_offsets[first]), int(summary_offsets[end])
        whole += e1 - e0
        matching += int(np.isin(summary_terms[e0:e1], mine).sum())
    n += 1
    length += len(q)
    if n >= a.limit:
        break
print(f'{n} queries, {length / n:.1f} terms each, cut {a.cut}: {whole / n:.0f} summary entries read per query by a pass '
      f'over the summaries, {matching / n:.0f} for the query\'s own terms ({whole / max(matching, 1):.0f}x fewer)')
