"""Sparrow from Python: build, change and search sparse-retrieval indexes, and encode text with SPLADE.

Everything runs in Sparrow's native library (the C interface, ``sparrow.h``); searches release the
GIL and run on several threads.

>>> import sparrow
>>> index = sparrow.Index.build(["d1", "d2"], [{"sparrow": 1.5, "nest": 0.5}, {"tree": 2.0}])
>>> ids, scores = index.search({"sparrow": 1.0}, k=10)
>>> list(ids), scores.tolist()
(['d1'], [1.5])
"""

from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _ffi, _vectors
from ._ffi import (
    CorruptIndexError,
    IndexNotFoundError,
    InvalidArgumentError,
    LockedError,
    ReadOnlyError,
    SparrowError,
)

__all__ = [
    "Index",
    "Encoder",
    "Stats",
    "encode",
    "sum_statistics",
    "SparrowError",
    "InvalidArgumentError",
    "IndexNotFoundError",
    "CorruptIndexError",
    "LockedError",
    "ReadOnlyError",
    "__version__",
]

__version__ = _ffi.version()

_KINDS = {0: "vectors", 1: "text", 2: "encoded"}


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, _ffi.INVALID_ARGUMENT)


def _ids(ids: Any, count: Optional[int], what: str = "ids") -> list[str]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, (Sequence, np.ndarray)):
        raise _invalid(f"{what} must be a list of str or int ids, not {type(ids).__name__}")
    out = []
    for i, x in enumerate(ids.tolist() if isinstance(ids, np.ndarray) else ids):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, int) and not isinstance(x, bool):
            out.append(str(x))
        else:
            raise _invalid(f"{what}[{i}] must be a str or an int, not {type(x).__name__}")
    if count is not None and len(out) != count:
        raise _invalid(f"{len(out)} {what} for {count} vectors")
    return out


def _texts(texts: Any, what: str = "texts") -> list[str]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, (Sequence, np.ndarray)):
        raise _invalid(f"{what} must be a list of str, not {type(texts).__name__}")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise _invalid(f"{what}[{i}] must be a str, not {type(t).__name__}")
    return out


def _settings(options: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(options), allow_nan=False).encode()


def _path(path: Any) -> Optional[bytes]:
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise _invalid(f"path must be a str or a path, not {type(path).__name__}")
    return os.fsencode(os.fspath(path))


def _k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise _invalid(f"k must be a positive int, not {k!r}")
    return int(k)


def _threads(threads: Any) -> int:
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise _invalid(f"threads must be a positive int or None, not {threads!r}")
    return int(threads)


@dataclass(frozen=True)
class Stats:
    """What an index holds."""

    documents: int
    terms: int
    postings: int
    segments: int
    deleted: int
    clustered_segments: int
    kind: str  # "vectors", "text" (BM25) or "encoded" (text encoded by a model)
    writable: bool


class Index:
    """A Sparrow index: built in memory (read-only), or a collection on disk that takes writes.

    Build one with :meth:`build` (sparse vectors) or :meth:`build_text` (text, with BM25 or a
    SPLADE model), open one with :meth:`open`, or make an empty collection with :meth:`create`.
    Use it as a context manager, or call :meth:`close`, to commit and release it.
    """

    def __init__(self, handle: int, vocab: Optional[Sequence[str]] = None):
        self._handle = ctypes.c_void_p(handle)
        self._id_width = 16
        self.vocab = vocab
        """The default vocabulary of integer term ids and sparse-matrix columns (see :mod:`sparrow._vectors`)."""

    # -- opening and building ------------------------------------------------------------------

    @classmethod
    def build(cls, ids: Sequence[Any], vectors: Any, path: Any = None, *, vocab: Optional[Sequence[str]] = None,
              **options: Any) -> "Index":
        """Builds an index of ``vectors`` (one per id; see :mod:`sparrow._vectors` for the shapes).

        With ``path`` the index is written there (replacing any index) and can take writes;
        without, it lives in memory and is read-only. ``options`` are collection settings:
        ``block_size``, ``range_size``, ``reorder``, ``layout="clustered"`` with ``clustered={...}``
        for approximate search, ``fsync`` (``"always"``, ``"interval:MS"``, ``"none"``).

        >>> Index.build(["a"], [{"x": 1.0}]).stats().documents
        1
        """
        rows = _vectors.rows(vectors, "vectors", vocab)
        ids = _ids(ids, rows.count)
        out = ctypes.c_void_p()
        _ffi.call("sparrow_build", _path(path), _ffi.strings(ids, "ids"), rows.pointer(), _settings(options),
                  ctypes.byref(out))
        return cls(out.value, vocab)

    @classmethod
    def build_text(cls, ids: Sequence[Any], texts: Sequence[str], path: Any = None, *,
                   encoder: Optional[str] = None, **options: Any) -> "Index":
        """Builds an index of ``texts``: scored with BM25 (``text={"analyzer": "english", "k1": 0.9,
        "b": 0.4}`` to choose), or encoded by the SPLADE model in the directory ``encoder``.

        >>> index = Index.build_text(["a", "b"], ["sparrows nest", "oak trees"])
        >>> list(index.search("sparrow")[0])
        ['a']
        """
        texts = _texts(texts)
        ids = _ids(ids, len(texts))
        if encoder is not None:
            options = {**options, "encoder": f"splade:{os.fspath(encoder)}"}
        out = ctypes.c_void_p()
        _ffi.call("sparrow_build_text", _path(path), _ffi.strings(ids, "ids"), _ffi.strings(texts, "texts"), len(texts),
                  _settings(options), ctypes.byref(out))
        return cls(out.value)

    @classmethod
    def open(cls, path: Any, *, read_only: bool = False, fsync: Optional[str] = None,
             vocab: Optional[Sequence[str]] = None) -> "Index":
        """Opens the index at ``path`` for searching and writing (one writer at a time), or with
        ``read_only=True`` for searching only, without the writer lock. ``fsync`` sets when this
        handle's writes reach the disk: ``"always"`` (default), ``"interval:MS"`` or ``"none"``."""
        if path is None:
            raise _invalid("path must not be None")
        options: dict[str, Any] = {"read_only": bool(read_only)}
        if fsync is not None:
            options["fsync"] = fsync
        out = ctypes.c_void_p()
        _ffi.call("sparrow_open", _path(path), _settings(options), ctypes.byref(out))
        return cls(out.value, vocab)

    @classmethod
    def create(cls, path: Any, *, encoder: Optional[str] = None, **options: Any) -> "Index":
        """Creates an empty collection at ``path`` (``text=True`` for BM25 text, ``encoder=DIR`` for
        text encoded by a SPLADE model, other settings as for :meth:`build`)."""
        if path is None:
            raise _invalid("path must not be None")
        if encoder is not None:
            options = {**options, "encoder": f"splade:{os.fspath(encoder)}"}
        out = ctypes.c_void_p()
        _ffi.call("sparrow_create", _path(path), _settings(options), ctypes.byref(out))
        return cls(out.value)

    def close(self) -> None:
        """Commits outstanding writes and releases the index; it cannot be used afterwards."""
        if self._handle.value is not None:
            handle, self._handle = self._handle, ctypes.c_void_p()
            _ffi.call("sparrow_close", handle)

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _live(self) -> ctypes.c_void_p:
        if self._handle.value is None:
            raise _invalid("the index is closed")
        return self._handle

    # -- writing -------------------------------------------------------------------------------

    def add(self, ids: Sequence[Any], vectors: Any = None, *, texts: Optional[Sequence[str]] = None,
            vocab: Optional[Sequence[str]] = None) -> tuple[int, int]:
        """Inserts documents, replacing those with the same ids; returns ``(added, replaced)``.

        Give ``vectors`` to a collection of vectors, ``texts`` to a text or encoded one. The batch
        is applied whole or not at all, and is durable when this returns (per the fsync policy).
        """
        added, replaced = ctypes.c_uint64(), ctypes.c_uint64()
        if (vectors is None) == (texts is None):
            raise _invalid("give either vectors or texts")
        if texts is not None:
            texts = _texts(texts)
            ids = _ids(ids, len(texts))
            _ffi.call("sparrow_upsert_text", self._live(), _ffi.strings(ids, "ids"), _ffi.strings(texts, "texts"),
                      len(texts), ctypes.byref(added), ctypes.byref(replaced))
        else:
            rows = _vectors.rows(vectors, "vectors", vocab if vocab is not None else self.vocab)
            ids = _ids(ids, rows.count)
            _ffi.call("sparrow_upsert", self._live(), _ffi.strings(ids, "ids"), rows.pointer(), ctypes.byref(added),
                      ctypes.byref(replaced))
        return added.value, replaced.value

    def delete(self, ids: Sequence[Any]) -> int:
        """Deletes the documents with these ids; returns how many there were."""
        ids = _ids(ids, None)
        deleted = ctypes.c_uint64()
        _ffi.call("sparrow_delete", self._live(), _ffi.strings(ids, "ids"), len(ids), ctypes.byref(deleted))
        return deleted.value

    def commit(self) -> None:
        """Writes buffered documents as a segment (searches see every write before this)."""
        _ffi.call("sparrow_commit", self._live())

    # -- searching -----------------------------------------------------------------------------

    def search(self, query: Any, k: int = 10, *, vocab: Optional[Sequence[str]] = None, **options: Any
               ) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` documents for ``query``: ``(ids, scores)`` numpy arrays, best first.

        ``query`` is text (in a text or encoded index), a ``{token: weight}`` dict, a
        ``(components, values)`` pair, or a one-row sparse matrix. ``options``: ``algorithm``
        (``"maxscore"``, ``"bmp"``, …), ``recall`` (0.90, 0.95 or 0.99: approximate search holding
        that recall), or the raw knobs ``query_cut``, ``heap_factor``, ``alpha``, ``beta``.
        """
        if isinstance(query, str):
            return self.search_batch([query], k, threads=1, **options)[0]
        rows = _vectors.single(query, vocab if vocab is not None else self.vocab)
        return self._run(rows, None, _k(k), options, 1)[0]

    def search_batch(self, queries: Any, k: int = 10, *, threads: Optional[int] = None,
                     vocab: Optional[Sequence[str]] = None, **options: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`search` for many queries on ``threads`` threads (default: one per core), without
        the GIL. ``queries``: a list of texts, a list of vectors, or a sparse matrix."""
        k = _k(k)
        threads = _threads(threads)
        if isinstance(queries, (list, tuple)) and queries and all(isinstance(q, str) for q in queries):
            return self._run(None, _texts(queries, "queries"), k, options, threads)
        rows = _vectors.rows(queries, "queries", vocab if vocab is not None else self.vocab)
        return self._run(rows, None, k, options, threads)

    def _run(self, rows: Optional[_vectors.Rows], texts: Optional[list[str]], k: int, options: Mapping[str, Any],
             threads: int) -> list[tuple[np.ndarray, np.ndarray]]:
        n = rows.count if rows is not None else len(texts)
        opts = _settings({key: v for key, v in options.items() if v is not None})
        text_array = _ffi.strings(texts, "queries") if texts is not None else None
        needed = ctypes.c_size_t()
        while True:
            width = self._id_width
            ids = np.zeros((n, k), dtype=f"S{width}")
            scores = np.zeros((n, k), dtype=np.float32)
            counts = np.zeros(n, dtype=np.uint32)
            args = (k, opts, threads, ids.ctypes.data, width, scores.ctypes.data, counts.ctypes.data, ctypes.byref(needed))
            if rows is not None:
                status = _ffi.lib.sparrow_search(self._live(), rows.pointer(), *args)
            else:
                status = _ffi.lib.sparrow_search_text(self._live(), text_array, n, *args)
            if status == _ffi.BUFFER_TOO_SMALL and needed.value > width:
                self._id_width = needed.value
                continue
            _ffi.check(status)
            break
        decoded = np.char.decode(ids, "utf-8") if n else np.zeros((0, k), dtype=str)
        return [(decoded[i, : counts[i]], scores[i, : counts[i]]) for i in range(n)]

    # -- statistics ----------------------------------------------------------------------------

    def stats(self) -> Stats:
        """What the index holds now."""
        info = _ffi.Info()
        _ffi.call("sparrow_stats", self._live(), ctypes.byref(info))
        return Stats(info.documents, info.terms, info.postings, info.segments, info.deleted, info.clustered_segments,
                     _KINDS.get(info.kind, "unknown"), bool(info.writable))

    def __len__(self) -> int:
        return self.stats().documents

    def corpus_statistics(self) -> dict[str, Any]:
        """This text index's BM25 statistics: ``{"documents", "total_terms", "df": {term: n}}``.
        Sum them over the shards of a sharded collection (:func:`sum_statistics`) and give the sum
        to every shard with :meth:`set_global_statistics`."""
        needed = ctypes.c_size_t()
        size = 1 << 16
        while True:
            buffer = ctypes.create_string_buffer(size)
            status = _ffi.lib.sparrow_corpus_statistics(self._live(), buffer, size, ctypes.byref(needed))
            if status == _ffi.BUFFER_TOO_SMALL and needed.value > size:
                size = needed.value
                continue
            _ffi.check(status)
            return json.loads(buffer.value.decode())

    def set_global_statistics(self, statistics: Optional[Mapping[str, Any]]) -> None:
        """Scores this shard with a whole collection's BM25 statistics (None: its own again), so that
        the shards' merged top-k equals one index's."""
        if statistics is not None and not isinstance(statistics, Mapping):
            raise _invalid(f"statistics must be a mapping like corpus_statistics() returns, not {type(statistics).__name__}")
        text = None if statistics is None else json.dumps(dict(statistics)).encode()
        _ffi.call("sparrow_set_global_statistics", self._live(), text)


def sum_statistics(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The BM25 statistics of a collection made of shards with these statistics."""
    total: dict[str, Any] = {"documents": 0, "total_terms": 0, "df": {}}
    for p in parts:
        total["documents"] += int(p["documents"])
        total["total_terms"] += int(p["total_terms"])
        df = total["df"]
        for term, n in p.get("df", {}).items():
            df[term] = df.get(term, 0) + int(n)
    return total


class Encoder:
    """A SPLADE model (a directory with ``model.safetensors``, ``config.json`` and a tokenizer),
    run by Sparrow itself.

    >>> enc = Encoder("../shared/data/models/splade-tiny")      # doctest: +SKIP
    >>> enc.encode(["what is a sparrow"])[0]["sparrow"] > 0       # doctest: +SKIP
    True
    """

    def __init__(self, model_dir: Any, max_length: int = 256):
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= 8192:
            raise _invalid(f"max_length must be an int from 1 to 8192, not {max_length!r}")
        out = ctypes.c_void_p()
        _ffi.call("sparrow_encoder_open", _path(model_dir), max_length, ctypes.byref(out))
        self._handle = ctypes.c_void_p(out.value)

    def encode_csr(self, texts: Sequence[str], threads: Optional[int] = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """The vectors of ``texts`` as CSR arrays: ``(indptr, indices, values, vocab)``."""
        texts = _texts(texts)
        out = ctypes.c_void_p()
        _ffi.call("sparrow_encode", self._handle, _ffi.strings(texts, "texts"), len(texts), _threads(threads),
                  ctypes.byref(out))
        try:
            csr = _ffi.CSR()
            _ffi.call("sparrow_vectors_csr", out, ctypes.byref(csr))
            n, entries = csr.rows, (csr.indptr[csr.rows] if csr.rows else 0)
            indptr = np.ctypeslib.as_array(csr.indptr, shape=(n + 1,)).copy()
            indices = np.ctypeslib.as_array(csr.indices, shape=(max(entries, 1),))[:entries].copy()
            values = np.ctypeslib.as_array(csr.values, shape=(max(entries, 1),))[:entries].copy()
            vocab = [csr.vocab[i].decode() for i in range(csr.vocab_size)]
        finally:
            _ffi.call("sparrow_vectors_free", out)
        return indptr, indices, values, vocab

    def encode(self, texts: Sequence[str], threads: Optional[int] = None) -> list[dict[str, float]]:
        """The vectors of ``texts`` as ``{token: weight}`` dicts."""
        indptr, indices, values, vocab = self.encode_csr(texts, threads)
        return [{vocab[indices[j]]: float(values[j]) for j in range(indptr[i], indptr[i + 1])}
                for i in range(len(indptr) - 1)]

    def close(self) -> None:
        if self._handle.value is not None:
            handle, self._handle = self._handle, ctypes.c_void_p()
            _ffi.call("sparrow_encoder_free", handle)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def encode(texts: Sequence[str], model: Any, threads: Optional[int] = None) -> list[dict[str, float]]:
    """Encodes ``texts`` with the SPLADE model in the directory ``model`` (see :class:`Encoder`)."""
    encoder = Encoder(model)
    try:
        return encoder.encode(texts, threads)
    finally:
        encoder.close()
