"""Sparse vectors in the shapes Python users have them, turned into the CSR rows the C interface takes.

Accepted, for documents and queries alike:

- a list of ``{token: weight}`` dicts;
- a scipy sparse matrix (rows are vectors) with ``vocab``, the token of each column (without it,
  column ``j`` is the token ``"j"``);
- a list of ``(components, values)`` pairs of numpy arrays, as Seismic takes them: components are
  tokens (``str``) or term ids (integers, the tokens of ``vocab``, or their decimal text without it).

Weights must be finite and non-negative; Sparrow's own checks name the row and the token of a bad one.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np

from . import _ffi
from ._ffi import InvalidArgumentError, INVALID_ARGUMENT

Vector = Union[Mapping[str, float], tuple]
"""One sparse vector: a ``{token: weight}`` dict or a ``(components, values)`` pair."""


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, INVALID_ARGUMENT)


def _token(t: Any, vocab: Sequence[str] | None, where: str) -> str:
    if isinstance(t, str):
        return t
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        if vocab is None:
            return str(int(t))
        if not 0 <= int(t) < len(vocab):
            raise _invalid(f"{where}: term id {int(t)} is outside the vocabulary of {len(vocab)} tokens")
        return vocab[int(t)]
    raise _invalid(f"{where}: a token must be a str or an integer term id, not {type(t).__name__}")


class Rows:
    """CSR rows and the arrays behind them, kept alive while C reads them."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray, vocab: Sequence[str]):
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.uint32)
        self.values = np.ascontiguousarray(values, dtype=np.float32)
        self.vocab = _vocabulary(vocab)
        self.count = len(self.indptr) - 1
        self.struct = _ffi.CSR(
            self.count,
            self.indptr.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
            self.indices.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
            self.values.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            ctypes.cast(self.vocab, ctypes.POINTER(ctypes.c_char_p)),
            len(vocab),
        )

    def pointer(self):
        return ctypes.byref(self.struct)


# The C arrays of the vocabularies last used, by identity: a scipy matrix searched query by query
# with the same 30 000-token vocabulary encodes it once.
_vocab_cache: dict[int, tuple[Sequence[str], ctypes.Array]] = {}


def _vocabulary(vocab: Sequence[str]) -> ctypes.Array:
    key = id(vocab)
    cached = _vocab_cache.get(key)
    if cached is not None and cached[0] is vocab and not isinstance(vocab, list):
        return cached[1]
    array = _ffi.strings(list(vocab), "vocab")
    if not isinstance(vocab, list):  # lists can change in place; tuples and arrays are kept as they are
        if len(_vocab_cache) > 8:
            _vocab_cache.clear()
        _vocab_cache[key] = (vocab, array)
    return array


def rows(vectors: Any, what: str, vocab: Sequence[str] | None = None) -> Rows:
    """The CSR rows of ``vectors`` (see the module's documentation for the accepted shapes)."""
    if vocab is not None:
        if isinstance(vocab, np.ndarray):
            vocab = tuple(str(t) for t in vocab)
        elif not isinstance(vocab, Sequence) or isinstance(vocab, (str, bytes)):
            raise _invalid(f"vocab must be a sequence of tokens, not {type(vocab).__name__}")
    if _is_sparse(vectors):
        return _from_scipy(vectors, what, vocab)
    if isinstance(vectors, (str, bytes, Mapping)) or not isinstance(vectors, (Sequence, np.ndarray)):
        raise _invalid(f"{what} must be a list of vectors ({{token: weight}} dicts or (components, values) pairs) "
                       f"or a scipy sparse matrix, not {type(vectors).__name__}")
    tokens: dict[str, int] = {}
    indices: list[int] = []
    values: list[float] = []
    indptr = [0]
    for r, v in enumerate(vectors):
        where = f"{what}[{r}]"
        for t, w in _entries(v, where):
            key = _token(t, vocab, where)
            j = tokens.get(key)
            if j is None:
                j = tokens[key] = len(tokens)
            indices.append(j)
            values.append(w)
        indptr.append(len(indices))
    return Rows(np.asarray(indptr), np.asarray(indices, dtype=np.uint32), np.asarray(values, dtype=np.float32),
                tuple(tokens))


def _entries(v: Any, where: str):
    """The (token or term id, weight) pairs of one vector, with dict weights checked here (pair
    weights are checked by Sparrow)."""
    if isinstance(v, Mapping):
        return ((t, _weight(w, f"{where}[{t!r}]")) for t, w in v.items())
    if isinstance(v, tuple) and len(v) == 2:
        components, weights = np.asarray(v[0]), np.asarray(v[1])
        if components.ndim != 1 or weights.ndim != 1 or len(components) != len(weights):
            raise _invalid(f"{where}: components and values must be 1-D arrays of one length, "
                           f"not shapes {components.shape} and {weights.shape}")
        if weights.dtype.kind not in "fiu":
            raise _invalid(f"{where}: values must be numbers, not dtype {weights.dtype}")
        return zip(components.tolist(), weights.tolist())
    raise _invalid(f"{where} must be a {{token: weight}} dict or a (components, values) pair, not {type(v).__name__}")


def _weight(w: Any, where: str) -> float:
    if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)):
        raise _invalid(f"{where}: weight must be a number, not {type(w).__name__}")
    w = float(w)
    if not math.isfinite(w) or w < 0:
        raise _invalid(f"{where}: weight {w} is not finite and non-negative")
    return w


def _is_sparse(x: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # scipy is optional
        return False
    return sp.issparse(x)


def _from_scipy(matrix: Any, what: str, vocab: Sequence[str] | None) -> Rows:
    csr = matrix.tocsr()
    if csr.ndim != 2:
        raise _invalid(f"{what} must be a 2-D sparse matrix")
    if csr.dtype.kind not in "fiu":
        raise _invalid(f"{what}: values must be numbers, not dtype {csr.dtype}")
    columns = csr.shape[1]
    if vocab is None:
        vocab = tuple(str(j) for j in range(columns))
    elif len(vocab) != columns:
        raise _invalid(f"{what} has {columns} columns but vocab has {len(vocab)} tokens")
    csr.sum_duplicates()
    return Rows(csr.indptr, csr.indices, csr.data, vocab)


def single(query: Any, vocab: Sequence[str] | None) -> Rows:
    """One query (a dict, a pair, or a one-row sparse matrix) as one CSR row."""
    if isinstance(query, Mapping) or (isinstance(query, tuple) and len(query) == 2):
        return rows([query], "query", vocab)
    if _is_sparse(query):
        if query.shape[0] != 1:
            raise _invalid(f"query must be one row, not {query.shape[0]}; use search_batch for many")
        return rows(query, "query", vocab)
    raise _invalid(f"query must be text, a {{token: weight}} dict, a (components, values) pair or a one-row "
                   f"sparse matrix, not {type(query).__name__}")
