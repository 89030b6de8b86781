#!/usr/bin/env python3
"""Turns the JSON summaries of Benchmarks/pruning.sh (sparrow bench --json, peers --json) into the
markdown tables of BENCHMARKS.md.  usage: table.py OUTDIR K"""
import glob, json, os, sys

out, k = sys.argv[1], sys.argv[2]
rows = []
for path in sorted(glob.glob(os.path.join(out, f'sparrow-*.k{k}.json'))):
    if path.endswith('.auto.json'):
        continue
    r = json.load(open(path))
    name = os.path.basename(path)[len('sparrow-'):-len(f'.k{k}.json')]
    for x in r['results']:
        rows.append((f"Sparrow {x['algorithm']} ({name})", x['meanMicros'], x['p50Micros'], x['p99Micros'],
                     x['postingsPerQuery'], f"{x['recallVsExhaustive']:.4f} / {x['identicalRankings']:.3f}"))
for path in sorted(glob.glob(os.path.join(out, f'*.k{k}.json'))):
    if os.path.basename(path).startswith('sparrow-'):
        continue
    r = json.load(open(path))
    label = r['engine'] + (' ' + r['params']['query_algorithm'] if 'query_algorithm' in r['params'] else '')
    rows.append((label, r['mean_us'], r['p50_us'], r['p99_us'], None, ''))
peers = [r for r in rows if not r[0].startswith('Sparrow')]
exact_peers = [r for r in peers if not r[0].startswith('seismic')]
best = min(r[1] for r in exact_peers) if exact_peers else None
print(f'| k = {k} | mean µs | p50 µs | p99 µs | postings scored / query | recall vs exhaustive / identical | mean ÷ best rank-safe peer |')
print('|---|---:|---:|---:|---:|---|---:|')
for name, mean, p50, p99, postings, agree in rows:
    ratio = f'{mean / best:.3f}' if best else ''
    post = f'{postings:,.0f}' if postings is not None else '–'
    print(f'| {name} | {mean:,.1f} | {p50:,.1f} | {p99:,.1f} | {post} | {agree} | {ratio} |')
