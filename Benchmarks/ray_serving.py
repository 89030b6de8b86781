#!/usr/bin/env python3
"""Sparrow sharded on Ray against one index of the same documents, on this machine (BENCHMARKS.md,
"Sharded serving on Ray").

usage: ray_serving.py --docs DOCS.jsonl --index ONE_INDEX_DIR --queries Q.jsonl --cli SPARROW --work DIR
                      [--shards 3] [--replicas 2] [--concurrency 4]

1. Splits DOCS by sparrow_ray.shard_of(id) and builds each shard with `sparrow index` (the release
   CLI; the Ray Data pipeline, build_shards, is exercised by the tests).
2. Starts a local Ray cluster of `--shards` nodes and deploys the shards (`--replicas` each, at most
   one per node) and the router.
3. Times every query one at a time (latency: mean, p50, p99) against the single index (Python,
   in-process, one thread) and through the router; then QPS with `--concurrency` queries in
   flight through the router; checks that the router's top-10 equals the single index's.
4. Kills one replica (SIGKILL) under the concurrent load and reports failed queries and the time
   until Serve has the replica running again.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import ray
from ray import serve
from ray.cluster_utils import Cluster

import sparrow
import sparrow_ray


def summary(lat_s):
    us = np.array(lat_s) * 1e6
    return {"mean_us": round(float(us.mean()), 1), "p50_us": round(float(np.percentile(us, 50)), 1),
            "p99_us": round(float(np.percentile(us, 99)), 1), "qps_sequential": round(1e6 / float(us.mean()), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--index", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=4)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)

    # 1. Shards.
    start = time.monotonic()
    if not all(os.path.exists(sparrow_ray.shard_path(a.work, s) / "base" / "meta.json") for s in range(a.shards)):
        parts = [open(os.path.join(a.work, f"part-{s}.jsonl"), "w") for s in range(a.shards)]
        with open(a.docs) as f:
            for line in f:
                doc_id = json.loads(line)["id"]
                parts[sparrow_ray.shard_of(doc_id, a.shards)].write(line)
        for p in parts:
            p.close()
        for s in range(a.shards):
            subprocess.run([a.cli, "index", "--input", os.path.join(a.work, f"part-{s}.jsonl"), "--output",
                            str(sparrow_ray.shard_path(a.work, s) / "base")], check=True, capture_output=True)
            os.unlink(os.path.join(a.work, f"part-{s}.jsonl"))
    print(json.dumps({"step": "shards built", "seconds": round(time.monotonic() - start, 1)}), flush=True)

    queries = [json.loads(line)["vector"] for line in open(a.queries) if line.strip()]

    # 3a. The single index, in-process.
    single = sparrow.Index.open(a.index, read_only=True)
    for q in queries[:50]:
        single.search(q, k=10)
    lat, expected = [], []
    for q in queries:
        t = time.perf_counter()
        ids, scores = single.search(q, k=10)
        lat.append(time.perf_counter() - t)
        expected.append(sorted(zip(ids.tolist(), scores.tolist()), key=lambda h: (-h[1], h[0])))
    print(json.dumps({"engine": "one index (Python, in-process)", **summary(lat)}), flush=True)
    single.close()

    # 2. The cluster.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    for _ in range(a.shards - 1):
        cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    serve.start(proxy_location="Disabled")
    start = time.monotonic()
    router = sparrow_ray.deploy(a.work, shards=a.shards, replicas=a.replicas, name="bench")
    print(json.dumps({"step": "deployed", "seconds": round(time.monotonic() - start, 1)}), flush=True)

    # 3b. Through the router, one query at a time.
    for q in queries[:50]:
        router.search.remote(q, 10).result()
    lat, mismatches = [], 0
    for q, want in zip(queries, expected):
        t = time.perf_counter()
        got = router.search.remote(q, 10).result()
        lat.append(time.perf_counter() - t)
        mismatches += got["ids"] != [i for i, _ in want]
    print(json.dumps({"engine": f"{a.shards} shards × {a.replicas} replicas on Ray (router)", **summary(lat),
                      "queries_differing_from_one_index": mismatches}), flush=True)

    # 3c. Concurrent load.
    def run_load(seconds, on_start=None):
        stop = time.monotonic() + seconds
        done, failed, lat = [0], [0], []
        lock = threading.Lock()

        def client(c):
            i = c
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    router.search.remote(queries[i % len(queries)], 10).result(timeout_s=60)
                    with lock:
                        done[0] += 1
                        lat.append(time.perf_counter() - t)
                except Exception:  # noqa: BLE001 — counted, reported
                    with lock:
                        failed[0] += 1
                i += a.concurrency

        with ThreadPoolExecutor(a.concurrency) as pool:
            futures = [pool.submit(client, c) for c in range(a.concurrency)]
            if on_start:
                on_start()
            for f in futures:
                f.result()
        return done[0], failed[0], lat

    done, failed, lat = run_load(30)
    print(json.dumps({"engine": f"router, {a.concurrency} queries in flight", "qps": round(done / 30, 1),
                      "failed": failed, **{k: v for k, v in summary(lat).items() if k != "qps_sequential"}}), flush=True)

    # 4. Kill a replica under load.
    from ray.util.state import list_actors

    def pids():
        return sorted(x.pid for x in list_actors(filters=[("class_name", "=", "ServeReplica:bench:shard-0"), ("state", "=", "ALIVE")]))

    victim = pids()[0]
    recovered = [None]
    watcher = []

    def kill():
        def watch():
            time.sleep(3)
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            while time.monotonic() - killed < 300:
                status = serve.status().applications["bench"].deployments["shard-0"]
                current = pids()
                if victim not in current and len(current) == a.replicas and status.replica_states.get("RUNNING", 0) == a.replicas:
                    recovered[0] = round(time.monotonic() - killed, 1)
                    return
                time.sleep(0.2)

        watcher.append(threading.Thread(target=watch, daemon=True))
        watcher[0].start()

    done, failed, lat = run_load(60, kill)
    watcher[0].join(timeout=300)
    print(json.dumps({"step": "replica killed under load", "qps": round(done / 60, 1), "failed": failed,
                      "retried_shard_calls": router.retried.remote().result(), "replica_running_again_after_s": recovered[0],
                      "p99_us": summary(lat)["p99_us"]}), flush=True)
    serve.shutdown()
    ray.shutdown()
    cluster.shutdown()


if __name__ == "__main__":
    main()
