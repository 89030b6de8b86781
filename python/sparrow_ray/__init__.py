"""Sparrow sharded over a Ray cluster: Ray Serve for serving, Ray Data for building.

A collection of ``S`` shards is served by one Serve deployment per shard (``replicas`` each, at most
one per node) and a router deployment that fans every query out to the shards with
``asyncio.gather`` and merges their top-k.

- **Exact mode** (the default): each shard returns its exact top-k; the merge is the exact top-k of
  the whole collection, as one index holding every document returns it.
- **Approximate mode** (``recall=…`` or the raw knobs): each shard searches approximately and
  returns ``k' = ceil(k × shard_k_factor) ≥ k`` hits, so one shard's misses cost less.

Documents are placed by a hash of their id (:func:`shard_of`). Writes go to a durable, ordered log
per shard (a Ray actor that appends and fsyncs before it acknowledges); every replica of the shard
applies the log in order, so replicas agree, a restarted replica catches up from its shard's base
index and the log, and a search through the router sees every write that router acknowledged.
For text collections the router sums the shards' BM25 statistics and gives the sum to every shard
(:meth:`Router.refresh_statistics`, run after building and after every write), so sharded BM25
scores equal those of one index.

Build shards with :func:`build_shards` (a Ray Data pipeline that reads JSONL or Parquet, encodes
text with Sparrow's SPLADE encoder when asked, and builds every shard in parallel), then serve them
with :func:`deploy`:

>>> import ray, sparrow_ray                                              # doctest: +SKIP
>>> paths = sparrow_ray.build_shards("docs.jsonl", "/data/coll", shards=3)  # doctest: +SKIP
>>> router = sparrow_ray.deploy("/data/coll", shards=3, replicas=2)      # doctest: +SKIP
>>> router.search.remote({"sparrow": 1.0}, k=10).result()                # doctest: +SKIP
{'ids': [...], 'scores': [...], 'shards': [0, 1, 2]}
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import ray
from ray import serve

import sparrow

__all__ = ["shard_of", "ShardLog", "ShardServer", "Router", "build_shards", "deploy", "shard_path"]


def shard_of(doc_id: Any, shards: int) -> int:
    """The shard of a document: a stable hash of its id (the same in every process and run)."""
    digest = hashlib.blake2b(str(doc_id).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


def shard_path(root: str | os.PathLike, shard: int) -> Path:
    """Where shard ``shard``'s base index and write log live under ``root``."""
    return Path(root) / f"shard-{shard}"


# -- the write log ------------------------------------------------------------------------------


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class ShardLog:
    """The ordered, durable writes of one shard: ``append`` returns after the entry is fsynced;
    a restarted log reloads its file."""

    def __init__(self, path: str):
        self.path = path
        self.entries: list[dict] = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.endswith("\n"):  # a torn last line was never acknowledged
                        self.entries.append(json.loads(line))
        self.file = open(path, "a", encoding="utf-8")

    def append(self, op: dict) -> int:
        self.file.write(json.dumps(op) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.entries.append(op)
        return len(self.entries)

    def since(self, seq: int) -> list[dict]:
        return self.entries[seq:]

    def head(self) -> int:
        return len(self.entries)


# -- a shard --------------------------------------------------------------------------------------


@serve.deployment(ray_actor_options={"num_cpus": 0})
class ShardServer:
    """One replica of one shard: a private copy of the shard's base index, kept current by applying
    the shard's write log in order."""

    def __init__(self, root: str, shard: int, log_name: str, namespace: str, threads: int = 1):
        self.shard = shard
        self.threads = threads
        self.workdir = tempfile.mkdtemp(prefix=f"sparrow-shard{shard}-")
        local = os.path.join(self.workdir, "index")
        shutil.copytree(shard_path(root, shard) / "base", local)
        self.index = sparrow.Index.open(local, fsync="none")  # the log is the durable record
        self.log = ray.get_actor(log_name, namespace=namespace)
        self.applied = 0
        self.lock = asyncio.Lock()

    def __del__(self) -> None:
        try:
            self.index.close()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def sync(self, min_seq: int = -1) -> int:
        """Applies the log up to at least ``min_seq`` (-1: up to its head now)."""
        if 0 <= min_seq <= self.applied:
            return self.applied
        async with self.lock:
            for op in await self.log.since.remote(self.applied):
                self._apply(op)
                self.applied += 1
        return self.applied

    def _apply(self, op: dict) -> None:
        if "upsert" in op:
            u = op["upsert"]
            if "texts" in u:
                self.index.add(u["ids"], texts=u["texts"])
            else:
                self.index.add(u["ids"], u["vectors"])
        elif "delete" in op:
            self.index.delete(op["delete"])
        elif "statistics" in op:
            self.index.set_global_statistics(op["statistics"])

    async def search(self, queries: list, k: int, options: dict, min_seq: int = -1) -> dict:
        """The top ``k`` of each query in this shard: ``{"shard", "hits": [[(id, score), ...], ...]}``."""
        await self.sync(min_seq)
        results = await asyncio.to_thread(self.index.search_batch, queries, k, threads=self.threads, **options)
        return {"shard": self.shard, "hits": [list(zip(ids.tolist(), scores.tolist())) for ids, scores in results]}

    async def statistics(self, min_seq: int = -1) -> dict:
        """This shard's own BM25 statistics (see :meth:`sparrow.Index.corpus_statistics`)."""
        await self.sync(min_seq)
        return await asyncio.to_thread(self._own_statistics)

    def _own_statistics(self) -> dict:
        return self.index.corpus_statistics()

    async def stats(self, min_seq: int = -1) -> dict:
        await self.sync(min_seq)
        s = self.index.stats()
        return {"shard": self.shard, "documents": s.documents, "segments": s.segments, "applied": self.applied,
                "pid": os.getpid(), "node": ray.get_runtime_context().get_node_id()}


# -- the router -----------------------------------------------------------------------------------

_RETRYABLE = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ray.exceptions.RayTaskError,
              asyncio.TimeoutError, ConnectionError)


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Router:
    """Fans queries out to every shard and merges their top-k; routes writes to shards by id."""

    def __init__(self, shards: list, log_names: list[str], namespace: str, text: bool = False,
                 shard_k_factor: float = 2.0, retry_window_s: float = 30.0, attempt_timeout_s: float = 10.0):
        self.shards = shards
        self.logs = [ray.get_actor(n, namespace=namespace) for n in log_names]
        self.text = text
        self.shard_k_factor = shard_k_factor
        self.retry_window_s = retry_window_s
        self.attempt_timeout_s = attempt_timeout_s
        self.heads = [0] * len(shards)  # the last log entry of each shard this router acknowledged
        self.retries = 0

    async def _call(self, s: int, method: str, *args: Any) -> Any:
        """Calls a method of shard ``s``, retrying another replica until the retry window ends."""
        deadline = time.monotonic() + self.retry_window_s
        delay = 0.05
        while True:
            try:
                response = getattr(self.shards[s], method).remote(*args)
                return await asyncio.wait_for(response, self.attempt_timeout_s)
            except _RETRYABLE:
                if time.monotonic() + delay > deadline:
                    raise
                self.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def search_batch(self, queries: list, k: int = 10, **options: Any) -> list[dict]:
        """The top ``k`` of each query over all shards: ``[{"ids", "scores", "shards"}]``, where
        ``shards`` lists the shards that answered (all of them, or the call fails)."""
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, not {k!r}")
        approximate = any(options.get(key) is not None for key in ("recall", "query_cut", "heap_factor", "alpha", "beta"))
        shard_k = math.ceil(k * self.shard_k_factor) if approximate else k
        answers = await asyncio.gather(*(self._call(s, "search", queries, shard_k, options, self.heads[s])
                                         for s in range(len(self.shards))))
        merged = []
        for q in range(len(queries)):
            hits = sorted((h for a in answers for h in a["hits"][q]), key=lambda h: (-h[1], h[0]))[:k]
            merged.append({"ids": [h[0] for h in hits], "scores": [h[1] for h in hits],
                           "shards": sorted(a["shard"] for a in answers)})
        return merged

    async def search(self, query: Any, k: int = 10, **options: Any) -> dict:
        """:meth:`search_batch` for one query (text or a ``{token: weight}`` dict)."""
        return (await self.search_batch([query], k, **options))[0]

    async def upsert(self, ids: Sequence[Any], vectors: Optional[list] = None, texts: Optional[list] = None) -> dict:
        """Inserts or replaces documents, each in the shard its id hashes to; returns once every
        shard's log holds the batch durably."""
        if (vectors is None) == (texts is None):
            raise ValueError("give either vectors or texts")
        items = vectors if vectors is not None else texts
        if len(ids) != len(items):
            raise ValueError(f"{len(ids)} ids for {len(items)} documents")
        ids = [str(i) for i in ids]
        groups: dict[int, list[int]] = {}
        for i, doc_id in enumerate(ids):
            groups.setdefault(shard_of(doc_id, len(self.shards)), []).append(i)
        key = "vectors" if vectors is not None else "texts"
        # Checked by Sparrow before anything is logged: a bad document rejects the whole batch.
        for rows in groups.values():
            _validate([ids[i] for i in rows], [items[i] for i in rows], key)
        await asyncio.gather(*(self._append(s, {"upsert": {"ids": [ids[i] for i in rows], key: [items[i] for i in rows]}})
                               for s, rows in groups.items()))
        if self.text:
            await self.refresh_statistics()
        return {"acknowledged": len(ids), "shards": sorted(groups)}

    async def delete(self, ids: Sequence[Any]) -> dict:
        """Deletes documents by id (each from the shard its id hashes to)."""
        groups: dict[int, list[str]] = {}
        for doc_id in map(str, ids):
            groups.setdefault(shard_of(doc_id, len(self.shards)), []).append(doc_id)
        await asyncio.gather(*(self._append(s, {"delete": d}) for s, d in groups.items()))
        if self.text:
            await self.refresh_statistics()
        return {"acknowledged": len(ids)}

    async def _append(self, s: int, op: dict) -> None:
        seq = await self.logs[s].append.remote(op)
        self.heads[s] = max(self.heads[s], seq)

    async def refresh_statistics(self) -> dict:
        """Sums the shards' BM25 statistics and logs the sum to every shard, so that every shard
        scores with the whole collection's statistics."""
        parts = await asyncio.gather(*(self._call(s, "statistics", self.heads[s]) for s in range(len(self.shards))))
        total = sparrow.sum_statistics(parts)
        await asyncio.gather(*(self._append(s, {"statistics": total}) for s in range(len(self.shards))))
        return {"documents": total["documents"], "total_terms": total["total_terms"]}

    async def stats(self) -> list[dict]:
        return await asyncio.gather(*(self._call(s, "stats", self.heads[s]) for s in range(len(self.shards))))

    def retried(self) -> int:
        """How many shard calls were retried (a replica died or was unreachable)."""
        return self.retries


def _validate(ids: list[str], items: list, key: str) -> None:
    """Checks a batch as Sparrow will (ids, weights, duplicates), raising its error, before logging."""
    if key == "texts":
        sparrow.Index.build_text(ids, items)
    else:
        sparrow.Index.build(ids, items)


# -- building -------------------------------------------------------------------------------------


def build_shards(input: str, root: str | os.PathLike, shards: int, *, text: bool = False,
                 encoder: Optional[str] = None, settings: Optional[dict] = None, encode_concurrency: int = 2) -> list[Path]:
    """Builds ``shards`` shard indexes under ``root`` from ``input`` with Ray Data.

    ``input``: JSONL (``{"id", "vector"}`` lines, or ``{"id", "text"}`` lines with ``text=True`` for
    BM25 or ``encoder=MODEL_DIR`` for SPLADE) or Parquet with the same columns (``vector`` as a JSON
    string). Documents are encoded in parallel (``encode_concurrency`` encoder actors), split by
    :func:`shard_of`, and each shard is built by its own task. Returns the shard directories.
    """
    import ray.data

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if str(input).endswith(".parquet") or os.path.isdir(input):
        ds = ray.data.read_parquet(input).map_batches(_parquet_rows, batch_format="pandas")
    else:
        # Lines are kept as text: a column of {token: weight} structs would make one Arrow field per token.
        ds = ray.data.read_text(input).map_batches(_json_rows, batch_format="pandas")
    if encoder is not None:
        ds = ds.map_batches(_Encode, fn_constructor_args=(str(encoder),), batch_format="pandas",
                            concurrency=encode_concurrency, batch_size=256)
    ds = ds.map_batches(lambda b: b.assign(shard=[shard_of(i, shards) for i in b["id"]]), batch_format="pandas")
    options = dict(settings or {})
    kind = "vectors" if encoder is not None or not text else "text"
    built = ds.groupby("shard", num_partitions=shards).map_groups(
        lambda group: _build_group(group, str(root), kind, options), batch_format="pandas").take_all()
    return sorted(shard_path(root, int(row["shard"])) for row in built)


def _json_rows(batch):
    import pandas as pd

    records = [json.loads(line) for line in batch["text"] if line.strip()]
    return pd.DataFrame({
        "id": [str(r.get("id", r.get("_id"))) for r in records],
        "vector": [json.dumps(r["vector"]) if "vector" in r else None for r in records],
        "text": [r.get("text", r.get("content")) for r in records],
    })


def _parquet_rows(batch):
    import pandas as pd

    out = pd.DataFrame({"id": batch["id"].astype(str)})
    out["vector"] = batch["vector"] if "vector" in batch else None
    out["text"] = batch["text"] if "text" in batch else None
    return out


class _Encode:
    def __init__(self, model: str):
        self.encoder = sparrow.Encoder(model)

    def __call__(self, batch):
        vectors = self.encoder.encode(list(batch["text"]), threads=1)
        return batch.assign(vector=[json.dumps(v) for v in vectors])


def _build_group(group, root: str, kind: str, options: dict):
    import pandas as pd

    shard = int(group["shard"].iloc[0])
    path = shard_path(root, shard) / "base"
    ids = list(group["id"])
    if kind == "text":
        index = sparrow.Index.build_text(ids, list(group["text"]), path=path, **options)
    else:
        index = sparrow.Index.build(ids, [json.loads(v) for v in group["vector"]], path=path, **options)
    documents = index.stats().documents
    index.close()
    return pd.DataFrame({"shard": [shard], "documents": [documents]})


# -- serving --------------------------------------------------------------------------------------


def deploy(root: str | os.PathLike, shards: int, *, replicas: int = 2, name: str = "sparrow", text: bool = False,
           shard_k_factor: float = 2.0, retry_window_s: float = 30.0, max_replicas_per_node: Optional[int] = 1,
           threads: int = 1):
    """Serves the shards under ``root`` (built by :func:`build_shards`) as the Serve application
    ``name``: a deployment ``shard-S`` per shard with ``replicas`` replicas (at most
    ``max_replicas_per_node`` per node), and a router. Returns the router's handle."""
    namespace = ray.get_runtime_context().namespace
    log_names = []
    for s in range(shards):
        log_name = f"{name}-log-{s}"
        ShardLog.options(name=log_name, namespace=namespace, lifetime="detached", get_if_exists=True).remote(
            str(shard_path(root, s) / "log.jsonl"))
        log_names.append(log_name)
    shard_apps = []
    for s in range(shards):
        options: dict[str, Any] = {"name": f"shard-{s}", "num_replicas": replicas}
        if max_replicas_per_node is not None:
            options["max_replicas_per_node"] = max_replicas_per_node
        shard_apps.append(ShardServer.options(**options).bind(str(root), s, log_names[s], namespace, threads))
    app = Router.options(name="router").bind(shard_apps, log_names, namespace, text, shard_k_factor, retry_window_s)
    router = serve.run(app, name=name, route_prefix=None)
    if text:
        router.refresh_statistics.remote().result()
    return router
