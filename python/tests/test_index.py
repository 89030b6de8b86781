"""Searching from Python returns the exact top-k of a dense numpy oracle, whatever the input shape,
algorithm or thread count; text indexes and shards behave as the library's."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.sparse as sp

import sparrow
from conftest import as_dicts, oracle, random_corpus, random_queries

ALGORITHMS = ["exhaustive-taat", "exhaustive-daat", "maxscore", "wand", "block-max-wand", "block-max-maxscore", "bmp",
              "range-taat", "clustered"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_input_shape_and_algorithm_equals_the_oracle(seed):
    ids, dense, vocab = random_corpus(seed)
    queries = random_queries(seed, 25, len(vocab))
    k = 7
    built = {
        "dicts": sparrow.Index.build(ids, as_dicts(dense, vocab), range_size=16),
        "csr": sparrow.Index.build(ids, sp.csr_matrix(dense), vocab=vocab, range_size=16),
        "pairs": sparrow.Index.build(
            ids, [(np.array([vocab[j] for j in np.flatnonzero(r)]), r[np.flatnonzero(r)]) for r in dense], range_size=16),
        "term ids": sparrow.Index.build(ids, [(np.flatnonzero(r), r[np.flatnonzero(r)]) for r in dense], vocab=vocab,
                                        range_size=16),
    }
    for name, index in built.items():
        for algorithm in ALGORITHMS:
            results = index.search_batch(sp.csr_matrix(queries), k=k, vocab=vocab, algorithm=algorithm, threads=2)
            for q, (got_ids, got_scores) in zip(queries, results):
                want_ids, want_scores = oracle(dense, q, k, ids)
                assert list(got_ids) == want_ids, (name, algorithm)
                assert got_scores.tolist() == want_scores, (name, algorithm)
        # One query at a time, as a dict, and as text-free pairs.
        for q in queries[:5]:
            want_ids, want_scores = oracle(dense, q, k, ids)
            got_ids, got_scores = index.search(as_dicts(q[None, :], vocab)[0], k=k)
            assert list(got_ids) == want_ids and got_scores.tolist() == want_scores, name
            nz = np.flatnonzero(q)
            got_ids, _ = index.search((nz, q[nz]), k=k, vocab=vocab)
            assert list(got_ids) == want_ids, name


def test_results_are_numpy_arrays_and_ids_may_be_long_or_unicode():
    ids = ["a" * 100, "π-ü-文", "short"]
    index = sparrow.Index.build(ids, [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}])
    got_ids, scores = index.search({"x": 1.0}, k=5)
    assert isinstance(got_ids, np.ndarray) and isinstance(scores, np.ndarray) and scores.dtype == np.float32
    assert list(got_ids) == ["short", "π-ü-文", "a" * 100]
    assert scores.tolist() == [3.0, 2.0, 1.0]
    assert index.search({"nothing": 1.0})[0].size == 0


def test_integer_ids_become_text():
    index = sparrow.Index.build([10, 20], [{"x": 1.0}, {"x": 2.0}])
    assert list(index.search({"x": 1.0})[0]) == ["20", "10"]


def test_approximate_presets_and_knobs_run_and_exact_settings_are_exact():
    ids, dense, vocab = random_corpus(7, documents=600)
    index = sparrow.Index.build(ids, as_dicts(dense, vocab), layout="clustered",
                                clustered={"min_documents": 10, "postings_per_term": 100000, "summary_mass": 1.0})
    assert index.stats().clustered_segments == 1
    queries = random_queries(7, 20, len(vocab))
    exact = index.search_batch(sp.csr_matrix(queries), k=10, vocab=vocab)
    lossless = index.search_batch(sp.csr_matrix(queries), k=10, vocab=vocab, algorithm="clustered",
                                  query_cut=10000, heap_factor=1.0)
    for (a, sa), (b, sb) in zip(exact, lossless):
        assert list(a) == list(b) and sa.tolist() == sb.tolist()
    for recall in (0.90, 0.95, 0.99):
        assert len(index.search_batch(sp.csr_matrix(queries), k=10, vocab=vocab, recall=recall)) == 20


def test_searches_run_in_parallel_python_threads():
    ids, dense, vocab = random_corpus(4, documents=500)
    index = sparrow.Index.build(ids, as_dicts(dense, vocab))
    queries = random_queries(4, 50, len(vocab))
    expected = index.search_batch(sp.csr_matrix(queries), k=5, vocab=vocab)
    failures = []

    def worker():
        for _ in range(5):
            got = index.search_batch(sp.csr_matrix(queries), k=5, vocab=vocab, threads=1)
            if any(list(a) != list(b) for (a, _), (b, _) in zip(got, expected)):
                failures.append("mismatch")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_bm25_text_index_and_shards_sharing_statistics_score_as_one_index():
    texts = ["sparrows build nests in trees", "the song of the sparrow", "trees and more trees",
             "a nest of song birds", "oak trees grow slowly", "birds sing at dawn"]
    ids = [f"t{i}" for i in range(len(texts))]
    whole = sparrow.Index.build_text(ids, texts)
    shards = [sparrow.Index.build_text(ids[i::2], texts[i::2]) for i in range(2)]
    total = sparrow.sum_statistics(s.corpus_statistics() for s in shards)
    assert total == whole.corpus_statistics()
    queries = ["sparrow nest", "trees", "song birds", "dawn"]
    unshared = [dict(zip(*s.search("trees", k=10))) for s in shards]
    for s in shards:
        s.set_global_statistics(total)
    for q in queries:
        want_ids, want_scores = whole.search(q, k=10)
        merged = sorted(((float(sc), i) for s in shards for i, sc in zip(*s.search(q, k=10))), key=lambda x: -x[0])
        assert [i for _, i in merged] == list(want_ids)
        assert [sc for sc, _ in merged] == want_scores.tolist()
    # Without the shared statistics, the shards' scores differ from the whole index's.
    whole_trees = dict(zip(*whole.search("trees", k=10)))
    assert any(abs(whole_trees[i] - v) > 1e-6 for u in unshared for i, v in u.items())


def test_encoder_and_encoded_index(model_dir):
    encoder = sparrow.Encoder(model_dir)
    vectors = encoder.encode(["what is a sparrow", "oak trees grow slowly"])
    assert vectors[0]["sparrow"] > 0 and all(w > 0 for v in vectors for w in v.values())
    indptr, indices, values, vocab = encoder.encode_csr(["what is a sparrow"])
    assert indptr.tolist() == [0, len(vectors[0])] and len(values) == len(vectors[0])
    assert sparrow.encode(["what is a sparrow"], model_dir) == vectors[:1]
    index = sparrow.Index.build_text(["bird", "tree"], ["the sparrow is a small bird", "oak trees grow slowly"],
                                     encoder=model_dir)
    assert index.stats().kind == "encoded"
    assert list(index.search("small bird", k=1)[0]) == ["bird"]
