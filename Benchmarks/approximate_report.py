#!/usr/bin/env python3
"""Table and plot of an approximate-retrieval run (Benchmarks/approximate.sh OUTDIR): recall@10
against the exhaustive top-10, and mean latency, for every Sparrow and peer setting; the points on
each engine's best front (no other setting of it is both faster and more accurate); and the
latency each engine needs to reach recall 0.90, 0.95 and 0.99.

usage: approximate_report.py OUTDIR [--plot docs/approximate-NAME.png] [--title TEXT]
"""
import argparse, glob, json, os

ap = argparse.ArgumentParser()
ap.add_argument('out'); ap.add_argument('--plot'); ap.add_argument('--title', default='')
a = ap.parse_args()

def read_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            q, _, d, rank, _score, _ = line.split()
            run.setdefault(q, []).append((int(rank), d))
    return {q: [d for _, d in sorted(v)][:10] for q, v in run.items()}

exact = read_run(os.path.join(a.out, 'exact.k10.trec'))

def recall(run):
    tot = 0.0
    for q, want in exact.items():
        got = set(run.get(q, []))
        tot += len(got & set(want)) / len(want) if want else 1.0
    return tot / len(exact)

points = []   # (engine, setting, recall, mean_us)
for name, engine in [('sparrow-clustered.json', 'Sparrow clustered'), ('sparrow-bmp.json', 'Sparrow BMP')]:
    p = os.path.join(a.out, name)
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        continue
    rep = json.load(open(p))
    for row in rep['results']:
        eng = 'Sparrow exact (exhaustive-taat)' if row['algorithm'] == 'exhaustive-taat' else engine
        if row['algorithm'].startswith('recall '):
            eng = 'Sparrow presets'
        if eng.startswith('Sparrow exact') and any(x[0] == eng for x in points):
            continue
        points.append((eng, row['algorithm'], row['recallAt10'], row['meanMicros']))
for engine, sub, keys in [('Seismic', 'seismic', ('query_cut', 'heap_factor')),
                          ('BMP (peer)', 'bmp', ('alpha', 'beta'))]:
    p = os.path.join(a.out, sub, sub + '-sweep.jsonl')
    if not os.path.exists(p):
        continue
    for line in open(p):
        r = json.loads(line)
        run = os.path.join(a.out, sub, os.path.basename(r['run']))
        points.append((engine, ' '.join(f'{k}={r[k]}' for k in keys), recall(read_run(run)), r['mean_us']))

print(f"{'engine':34} {'setting':44} {'R@10':>7} {'mean µs':>9}")
for e, s, r, t in sorted(points, key=lambda x: (x[0], -x[2], x[3])):
    print(f'{e:34} {s:44} {r:7.4f} {t:9.1f}')

def front(ps):
    best = []
    for p in sorted(ps, key=lambda x: (x[3], -x[2])):
        if not best or p[2] > best[-1][2]:
            best.append(p)
    return best

print('\nfastest setting reaching each recall:')
engines = sorted({p[0] for p in points})
for floor in (0.90, 0.95, 0.99):
    for e in engines:
        ok = [p for p in points if p[0] == e and p[2] >= floor]
        if ok:
            p = min(ok, key=lambda x: x[3])
            print(f'  recall >= {floor:.2f}  {e:34} {p[3]:9.1f} µs  ({p[1]}, R@10 {p[2]:.4f})')

if a.plot:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for e in engines:
        ps = [p for p in points if p[0] == e]
        f = front(ps)
        if e == 'Sparrow presets':
            for p in ps:
                ax.scatter([p[3]], [p[2]], marker='*', s=90, color='black', zorder=5)
                ax.annotate(p[1].split(' (')[0], (p[3], p[2]), textcoords='offset points', xytext=(5, -10), fontsize=7)
            continue
        if e.startswith('Sparrow exact'):
            ax.axvline(ps[0][3], color='grey', linestyle='--', label=f'{e}: {ps[0][3]:.0f} µs')
            continue
        ax.scatter([p[3] for p in ps], [p[2] for p in ps], s=8, alpha=0.35)
        ax.plot([p[3] for p in f], [p[2] for p in f], marker='o', markersize=3, label=e)
    ax.set_xscale('log'); ax.set_xlabel('mean latency per query, µs (one core, log scale)')
    ax.set_ylabel('recall@10 against exhaustive'); ax.set_ylim(0.7, 1.005); ax.grid(True, alpha=0.3)
    ax.set_title(a.title); ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout(); fig.savefig(a.plot, dpi=110)
    print('plot:', a.plot)
