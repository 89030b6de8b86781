#!/usr/bin/env python3
"""Expected metric values for Sparrow's evaluation tests, computed by ir_measures (pytrec_eval).

    python Tools/eval-reference/make_fixtures.py ../shared/data Tests/Fixtures/eval

(ir_measures is in the peers venv: ../shared/tools/peers/install.sh.) Writes
- synthetic.qrels / synthetic.trec: a seeded random run and graded judgments (grades -1..3, many
  score ties, unjudged documents, a query without relevant documents, a run query without
  judgments), made here;
- expected.json (mrr@10: see `top` below): {run name: {"qrels": path, "run": path, "per_query": {qid: {measure: value}}, "mean": {...}}}
  for the synthetic pair and for the committed BM25 runs (top 100) of scifact, nfcorpus and cranfield.
"""
import json, random, sys, gzip
import ir_measures
from ir_measures import nDCG, RR, R, P, AP

data, out = sys.argv[1], sys.argv[2]
measures = [nDCG@10, nDCG, RR, R@10, R@100, P@5, P@10, AP, AP@10]
names = {str(m): n for m, n in zip(measures, ["ndcg@10", "ndcg", "mrr", "recall@10", "recall@100",
                                               "p@5", "p@10", "map", "map@10"])}
# ir_measures computes RR@10 with the MS MARCO script, which orders tied scores by ascending
# document id, unlike trec_eval (descending). Sparrow orders ties as trec_eval does for every
# metric, so mrr@10 here is pytrec_eval's recip_rank on the run cut to its first 10 documents in
# trec_eval's order.
def top(run, k):
    by_query = {}
    for d in run:
        by_query.setdefault(d.query_id, []).append(d)
    out = []
    for docs in by_query.values():
        docs.sort(key=lambda d: (d.score, d.doc_id), reverse=True)
        out += docs[:k]
    return out

rng = random.Random(20261123)
with open(f"{out}/synthetic.qrels", "w") as q, open(f"{out}/synthetic.trec", "w") as r:
    for qi in range(40):
        qid = f"q{qi}"
        docs = [f"d{rng.randrange(60)}" for _ in range(rng.randrange(0, 30))]
        docs = list(dict.fromkeys(docs))
        if qi != 7:  # q7: in the run, not judged
            judged = rng.sample(range(60), rng.randrange(1, 15))
            for d in judged:
                grade = 0 if qi == 3 else rng.choice([-1, 0, 0, 1, 1, 2, 3])  # q3: nothing relevant
                q.write(f"{qid} 0 d{d} {grade}\n")
        for rank, d in enumerate(docs):
            score = round(rng.choice([1.0, 2.0, 2.5, rng.random() * 3]), 3)  # many ties
            r.write(f"{qid} Q0 {d} {rank + 1} {score} syn\n")
    q.write("q99 0 d1 1\n")  # judged, never retrieved

pairs = {
    "synthetic": (f"{out}/synthetic.qrels", f"{out}/synthetic.trec"),
    "scifact": (f"{data}/scifact/qrels/test.tsv", f"{out}/scifact-bm25-top100.trec.gz"),
    "nfcorpus": (f"{data}/nfcorpus/qrels/test.tsv", f"{out}/nfcorpus-bm25-top100.trec.gz"),
    "cranfield": (f"{data}/cranfield/qrels/test.tsv", f"{out}/cranfield-bm25-top100.trec.gz"),
}

def read_qrels(path):
    rows = []
    for i, line in enumerate(open(path)):
        f = line.split()
        if len(f) == 3:
            if i == 0 and not f[2].lstrip("-").isdigit():
                continue
            rows.append(ir_measures.Qrel(f[0], f[1], int(f[2])))
        elif len(f) == 4:
            rows.append(ir_measures.Qrel(f[0], f[2], int(f[3])))
    return rows

def read_run(path):
    opener = gzip.open if path.endswith(".gz") else open
    return [ir_measures.ScoredDoc(f[0], f[2], float(f[4])) for f in (l.split() for l in opener(path, "rt"))]

expected = {}
for name, (qrels_path, run_path) in pairs.items():
    qrels, run = read_qrels(qrels_path), read_run(run_path)
    per_query = {}
    for m in ir_measures.iter_calc(measures, qrels, run):
        per_query.setdefault(m.query_id, {})[names[str(m.measure)]] = m.value
    for m in ir_measures.iter_calc([RR], qrels, top(run, 10)):
        per_query.setdefault(m.query_id, {})["mrr@10"] = m.value
    mean = {names[str(k)]: v for k, v in ir_measures.calc_aggregate(measures, qrels, run).items()}
    mean["mrr@10"] = ir_measures.calc_aggregate([RR], qrels, top(run, 10))[RR]
    expected[name] = {"qrels": qrels_path.replace(data, "../shared/data").replace(out + "/", ""),
                      "run": run_path.replace(out + "/", ""), "per_query": per_query, "mean": mean}
json.dump(expected, open(f"{out}/expected.json", "w"), indent=1, sort_keys=True)
print({k: v["mean"]["ndcg@10"] for k, v in expected.items()})
