"""Shared fixtures: seeded random corpora whose weights are multiples of 1/8, so every dot product is
exact in float32 and the oracle (numpy, dense) agrees with Sparrow bit for bit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPARROW_SHARED", ROOT.parent / "shared"))


def random_corpus(seed: int, documents: int = 300, terms: int = 60, density: float = 0.08):
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((documents, terms)) < density, rng.integers(1, 24, (documents, terms)) / 8.0, 0.0)
    vocab = [f"t{j}" for j in range(terms)]
    ids = [f"doc-{i}" for i in range(documents)]
    return ids, dense.astype(np.float32), vocab


def random_queries(seed: int, count: int, terms: int):
    rng = np.random.default_rng(seed + 1000)
    return np.where(rng.random((count, terms)) < 0.15, rng.integers(1, 16, (count, terms)) / 8.0, 0.0).astype(np.float32)


def oracle(dense_docs: np.ndarray, query: np.ndarray, k: int, ids: list[str]):
    """The exact top-k: positive scores, best first, ties in document order."""
    scores = dense_docs.astype(np.float64) @ query.astype(np.float64)
    order = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))[:k]
    return [ids[i] for i in order], [float(scores[i]) for i in order]


def as_dicts(dense: np.ndarray, vocab: list[str]):
    return [{vocab[j]: float(row[j]) for j in np.flatnonzero(row)} for row in dense]


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data directory)")
    return path


@pytest.fixture
def model_dir() -> Path:
    return require(SHARED / "data" / "models" / "splade-tiny")
