"""Sparrow sharded on a local Ray cluster of three nodes (one machine, three raylets): 3 shards × 2
replicas, built with Ray Data, served with Ray Serve.

- The merged top-k of the shards equals one index's on 100 MS MARCO dev queries (exact mode).
- A replica killed (SIGKILL) during a stream of queries fails no query (the router retries within
  its window) and Serve brings the replica back.
- Writes routed by id hash are seen by the next search; sharded BM25 scores equal one index's.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time

import pytest

ray = pytest.importorskip("ray")
from ray import serve  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import sparrow  # noqa: E402
import sparrow_ray  # noqa: E402
from conftest import SHARED, require  # noqa: E402

POOL = SHARED / "data" / "msmarco-dl-pool" / "splade-tiny"
DEV = SHARED / "data" / "msmarco-dev-queries" / "splade-tiny" / "queries.jsonl"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    for _ in range(2):
        c.add_node(num_cpus=2)
    ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
    serve.start(proxy_location="Disabled")
    yield c
    serve.shutdown()
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    docs_gz = require(POOL / "docs.jsonl.gz")
    path = tmp_path_factory.mktemp("data") / "docs.jsonl"
    with gzip.open(docs_gz, "rt", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        dst.write(src.read())
    docs = [json.loads(line) for line in path.open()]
    queries = [json.loads(line)["vector"] for line, _ in zip(require(DEV).open(), range(100))]
    return path, docs, queries


def replica_pids(app: str, deployment: str) -> list[int]:
    from ray.util.state import list_actors

    actors = list_actors(filters=[("class_name", "=", f"ServeReplica:{app}:{deployment}"), ("state", "=", "ALIVE")])
    return sorted(a.pid for a in actors)


def running_replicas(app: str, deployment: str) -> int:
    status = serve.status().applications[app].deployments[deployment]
    return status.replica_states.get("RUNNING", 0)


def test_sharded_serving(cluster, corpus, tmp_path):
    path, docs, queries = corpus
    root = tmp_path / "coll"
    start = time.monotonic()
    shards = sparrow_ray.build_shards(str(path), root, shards=3)
    assert [p.name for p in shards] == ["shard-0", "shard-1", "shard-2"]
    built = time.monotonic()
    router = sparrow_ray.deploy(root, shards=3, replicas=2, name="vectors")
    print(f"\nbuilt 3 shards of {len(docs)} documents with Ray Data in {built - start:.1f} s; "
          f"deployed 3 × 2 replicas in {time.monotonic() - built:.1f} s")
    for s in range(3):
        assert running_replicas("vectors", f"shard-{s}") == 2
    # Replicas of a shard run on different nodes.
    nodes = {}
    for s in range(3):
        from ray.util.state import list_actors

        actors = list_actors(filters=[("class_name", "=", f"ServeReplica:vectors:shard-{s}"), ("state", "=", "ALIVE")])
        nodes[s] = {a.node_id for a in actors}
        assert len(nodes[s]) == 2, nodes

    # Exact mode: the merged top-k equals one index holding every document.
    single = sparrow.Index.build([d["id"] for d in docs], [d["vector"] for d in docs])
    stats = router.stats.remote().result()
    assert sum(s["documents"] for s in stats) == len(docs)
    merged = router.search_batch.remote(queries, 10).result()
    assert len(merged) == 100
    for q, m in zip(queries, merged):
        ids, scores = single.search(q, k=10)
        want = sorted(zip(ids.tolist(), scores.tolist()), key=lambda h: (-h[1], h[0]))
        assert m["ids"] == [i for i, _ in want]
        assert m["scores"] == [s for _, s in want]
        assert m["shards"] == [0, 1, 2]
    # Approximate mode runs through the same path (each shard returns k' = 2k).
    approx = router.search_batch.remote(queries[:20], 10, recall=0.95).result()
    assert all(len(a["ids"]) == 10 for a in approx)

    # Writes: routed by id hash, durable in the shard's log, seen by the next search.
    router.upsert.remote(["new-doc"], vectors=[{"zzz-unique-token": 5.0}]).result()
    hit = router.search.remote({"zzz-unique-token": 1.0}, 10).result()
    assert hit["ids"] == ["new-doc"] and hit["scores"] == [5.0]
    router.delete.remote(["new-doc", docs[0]["id"]]).result()
    assert router.search.remote({"zzz-unique-token": 1.0}, 10).result()["ids"] == []
    with pytest.raises(Exception, match="not finite"):
        router.upsert.remote(["bad"], vectors=[{"x": float("nan")}]).result()

    # Kill one replica of shard 0 during a stream of queries: no query fails, the replica returns.
    before = replica_pids("vectors", "shard-0")
    assert len(before) == 2
    failures: list[BaseException] = []
    answered = []
    stop = threading.Event()

    def stream():
        i = 0
        while not stop.is_set():
            try:
                answered.append(router.search.remote(queries[i % len(queries)], 10).result(timeout_s=60))
            except BaseException as e:  # noqa: BLE001 — every failure is a test failure
                failures.append(e)
            i += 1

    threads = [threading.Thread(target=stream) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(2)
    killed_at = time.monotonic()
    os.kill(before[0], signal.SIGKILL)
    recovered = None
    while time.monotonic() - killed_at < 120:
        pids = replica_pids("vectors", "shard-0")
        if len(pids) == 2 and before[0] not in pids and running_replicas("vectors", "shard-0") == 2:
            recovered = time.monotonic() - killed_at
            break
        time.sleep(0.2)
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join()
    print(f"replica killed: {len(answered)} queries answered, {len(failures)} failed, "
          f"{router.retried.remote().result()} shard calls retried, replica back after {recovered} s")
    assert not failures, failures[:3]
    assert recovered is not None, "the killed replica did not come back within 120 s"
    assert all(a["shards"] == [0, 1, 2] for a in answered)
    # Every replica, the new one included, applied the log: answers are one index's without the
    # deleted document (several rounds, so that both replicas of every shard answer).
    gone = docs[0]["id"]
    for _ in range(4):
        again = router.search_batch.remote(queries[:10], 10).result()
        for q, a in zip(queries[:10], again):
            ids, scores = single.search(q, k=11)
            want = [h for h in sorted(zip(ids.tolist(), scores.tolist()), key=lambda h: (-h[1], h[0])) if h[0] != gone][:10]
            assert a["ids"] == [i for i, _ in want]
    serve.delete("vectors")


def test_sharded_bm25_scores_as_one_index(cluster, tmp_path):
    texts = ["sparrows build nests in trees", "the song of the sparrow", "trees and more trees", "a nest of song birds",
             "oak trees grow slowly", "birds sing at dawn", "a sparrow in an oak", "dawn chorus of song birds"]
    ids = [f"t{i}" for i in range(len(texts))]
    import pandas as pd

    path = tmp_path / "texts.parquet"  # the Parquet input path of the pipeline (the test above reads JSONL)
    pd.DataFrame({"id": ids, "text": texts}).to_parquet(path)
    root = tmp_path / "text"
    sparrow_ray.build_shards(str(path), root, shards=3, text=True)
    router = sparrow_ray.deploy(root, shards=3, replicas=1, name="text", text=True)
    single = sparrow.Index.build_text(ids, texts)
    for q in ["sparrow nest", "trees", "song birds at dawn", "oak"]:
        want_ids, want_scores = single.search(q, k=10)
        got = router.search.remote(q, 10).result()
        want = sorted(zip(want_ids.tolist(), want_scores.tolist()), key=lambda h: (-h[1], h[0]))
        assert got["ids"] == [i for i, _ in want], q
        assert got["scores"] == [s for _, s in want], q
    # A write changes every shard's statistics; the router shares them again.
    router.upsert.remote(["t-new"], texts=["sparrow sparrow sparrow"]).result()
    single = sparrow.Index.build_text(ids + ["t-new"], texts + ["sparrow sparrow sparrow"])
    want_ids, want_scores = single.search("sparrow", k=10)
    got = router.search.remote("sparrow", 10).result()
    assert sorted(zip(got["ids"], got["scores"])) == sorted(zip(want_ids.tolist(), want_scores.tolist()))
    serve.delete("text")


def test_pipeline_encodes_with_splade(cluster, tmp_path, model_dir):
    texts = ["the sparrow is a small bird", "oak trees grow slowly", "birds sing at dawn", "a nest in the oak"]
    ids = [f"e{i}" for i in range(len(texts))]
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, texts)))
    root = tmp_path / "encoded"
    sparrow_ray.build_shards(str(path), root, shards=2, encoder=str(model_dir), encode_concurrency=1)
    router = sparrow_ray.deploy(root, shards=2, replicas=1, name="encoded")
    single = sparrow.Index.build(ids, sparrow.Encoder(model_dir).encode(texts))
    for q in sparrow.Encoder(model_dir).encode(["small bird", "oak tree"]):
        want_ids, want_scores = single.search(q, k=4)
        got = router.search.remote(q, 4).result()
        want = sorted(zip(want_ids.tolist(), want_scores.tolist()), key=lambda h: (-h[1], h[0]))
        assert got["ids"] == [i for i, _ in want]
        assert got["scores"] == pytest.approx([s for _, s in want], rel=1e-6)
    serve.delete("encoded")
