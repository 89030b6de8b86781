#!/usr/bin/env python3
"""The driver of Benchmarks/ray_hosts.sh: runs inside host h1's network namespace, against the Ray
cluster of the three simulated hosts."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import threading
import time

import ray
from ray import serve
from ray.util.state import list_actors

import sparrow
import sparrow_ray

ap = argparse.ArgumentParser()
ap.add_argument("--work", required=True)
ap.add_argument("--kill-host-command", required=True)
ap.add_argument("--seconds-after-kill", type=float, default=120)
a = ap.parse_args()
shared = os.environ["SPARROW_SHARED"]
pool = f"{shared}/data/msmarco-dl-pool/splade-tiny"

ray.init(address="10.77.0.1:6379", logging_level="ERROR", log_to_driver=False)
print("nodes:", sorted(n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]), flush=True)
serve.start(proxy_location="Disabled")
os.makedirs(a.work, exist_ok=True)
docs_path = os.path.join(a.work, "docs.jsonl")
with gzip.open(f"{pool}/docs.jsonl.gz", "rt") as src, open(docs_path, "w") as dst:
    dst.write(src.read())
start = time.monotonic()
sparrow_ray.build_shards(docs_path, os.path.join(a.work, "coll"), shards=3)
print(f"built 3 shards with Ray Data in {time.monotonic() - start:.1f} s", flush=True)
start = time.monotonic()
router = sparrow_ray.deploy(os.path.join(a.work, "coll"), shards=3, replicas=2, name="hosts")
print(f"deployed 3 shards x 2 replicas in {time.monotonic() - start:.1f} s", flush=True)


def placement():
    out = {}
    nodes = {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes()}
    for s in range(3):
        actors = list_actors(filters=[("class_name", "=", f"ServeReplica:hosts:shard-{s}"), ("state", "=", "ALIVE")])
        out[f"shard-{s}"] = sorted(nodes.get(x.node_id, "?") for x in actors)
    return out


print("replicas by host:", placement(), flush=True)
queries = [json.loads(line)["vector"] for line in open(f"{pool}/queries.dl19.jsonl")]
single = sparrow.Index.build([json.loads(l)["id"] for l in open(docs_path)], [json.loads(l)["vector"] for l in open(docs_path)])
expected = []
for q in queries:
    ids, scores = single.search(q, k=10)
    expected.append([i for i, _ in sorted(zip(ids.tolist(), scores.tolist()), key=lambda h: (-h[1], h[0]))])
got = router.search_batch.remote(queries, 10).result()
print("results equal one index:", all(g["ids"] == e for g, e in zip(got, expected)), flush=True)

answered, failed, wrong = [0], [], [0]
stop = threading.Event()


def stream():
    i = 0
    while not stop.is_set():
        try:
            r = router.search.remote(queries[i % len(queries)], 10).result(timeout_s=120)
            answered[0] += 1
            wrong[0] += r["ids"] != expected[i % len(queries)]
        except Exception as e:  # noqa: BLE001 — reported
            failed.append(f"{type(e).__name__}: {str(e)[:120]}")
        i += 1


threads = [threading.Thread(target=stream) for _ in range(2)]
for t in threads:
    t.start()
time.sleep(5)
before = answered[0]
killed = time.monotonic()
subprocess.run(a.kill_host_command, shell=True, check=True)
print(f"killed host h3 after {before} answered queries", flush=True)
recovered = None
while time.monotonic() - killed < a.seconds_after_kill:
    status = serve.status().applications["hosts"].deployments
    if all(status[f"shard-{s}"].replica_states.get("RUNNING", 0) == 2 for s in range(3)):
        p = placement()
        if all(len(v) == 2 and "10.77.0.3" not in v for v in p.values()):
            recovered = time.monotonic() - killed
            break
    time.sleep(0.5)
time.sleep(5)
stop.set()
for t in threads:
    t.join()
print(json.dumps({"answered": answered[0], "failed": len(failed), "wrong_results": wrong[0],
                  "retried_shard_calls": router.retried.remote().result(),
                  "all_replicas_running_again_after_s": None if recovered is None else round(recovered, 1),
                  "replicas_by_host_after": placement(), "first_failures": failed[:3]}), flush=True)
