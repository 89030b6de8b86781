"""Garbage into every entry point: a Python exception with Sparrow's message, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

import sparrow

GARBAGE = [None, 3, 2.5, "text", b"bytes", {"a": 1}, [None], [[1, 2]], [{"a": "heavy"}], object(), np.zeros((2, 2)),
           [(np.array(["a"]), np.array([1.0, 2.0]))], [{"a": math.nan}], [{"a": -1.0}], [{"a": math.inf}],
           [{None: 1.0}], [{"a": True}], [("a", "b", "c")]]


@pytest.fixture
def index():
    return sparrow.Index.build(["d1", "d2"], [{"x": 1.0}, {"y": 2.0}])


@pytest.mark.parametrize("vectors", GARBAGE)
def test_build_refuses_garbage_vectors(vectors):
    with pytest.raises(sparrow.InvalidArgumentError):
        sparrow.Index.build(["d1"], vectors)


@pytest.mark.parametrize("ids", [None, "d1", [None], [1.5], [""], ["a b"], ["tab\there"], ["d1", "d1"], [b"d1"], 7])
def test_build_refuses_bad_ids(ids):
    with pytest.raises(sparrow.InvalidArgumentError):
        sparrow.Index.build(ids, [{"x": 1.0}] * (len(ids) if isinstance(ids, list) else 1))


def test_messages_name_the_row_and_the_token():
    with pytest.raises(sparrow.InvalidArgumentError, match=r"vectors\[1\]\['b'\]: weight nan"):
        sparrow.Index.build(["d1", "d2"], [{"a": 1.0}, {"b": math.nan}])
    with pytest.raises(sparrow.InvalidArgumentError, match='row 1, id: duplicate id "d1" \\(first used in row 0\\)'):
        sparrow.Index.build(["d1", "d1"], [{"a": 1.0}, {"b": 1.0}])
    with pytest.raises(sparrow.InvalidArgumentError, match="2 ids for 1 vectors"):
        sparrow.Index.build(["d1", "d2"], [{"a": 1.0}])
    m = sp.csr_matrix(np.array([[1.0, -2.0]], dtype=np.float32))
    with pytest.raises(sparrow.InvalidArgumentError, match='row 0, term "b": weight -2.0'):
        sparrow.Index.build(["d1"], m, vocab=["a", "b"])
    with pytest.raises(sparrow.InvalidArgumentError, match="2 columns but vocab has 3"):
        sparrow.Index.build(["d1"], m, vocab=["a", "b", "c"])


@pytest.mark.parametrize("options", [{"block_size": 0}, {"layout": "round"}, {"colour": "red"}, {"range_size": "big"},
                                     {"clustered": {"seed": 1}}, {"text": True}, {"fsync": "sometimes"}])
def test_build_refuses_bad_settings_naming_them(options):
    with pytest.raises(sparrow.InvalidArgumentError) as e:
        sparrow.Index.build(["d1"], [{"x": 1.0}], **options)
    assert list(options)[0] in str(e.value) or "text" in str(e.value)


@pytest.mark.parametrize("query", [g for g in GARBAGE if not isinstance(g, (str, dict))] + [{"x": math.nan}, {"x": -1.0}, {"x": "1"}])
def test_search_refuses_garbage_queries(index, query):
    with pytest.raises(sparrow.InvalidArgumentError):
        index.search(query)


@pytest.mark.parametrize("kwargs", [{"k": 0}, {"k": -1}, {"k": "ten"}, {"k": 2.5}, {"algorithm": "quantum"},
                                    {"recall": 0.5}, {"heap_factor": -1.0}, {"query_cut": 0}, {"alpha": 2.0},
                                    {"beta": 0.0}, {"recall": 0.95, "algorithm": "bmp"}, {"colour": 1}])
def test_search_refuses_bad_options(index, kwargs):
    with pytest.raises(sparrow.InvalidArgumentError):
        index.search({"x": 1.0}, **kwargs)


def test_search_batch_refuses_bad_threads_and_mixed_queries(index):
    for threads in (0, -2, "two", 1.5):
        with pytest.raises(sparrow.InvalidArgumentError, match="threads"):
            index.search_batch([{"x": 1.0}], threads=threads)
    with pytest.raises(sparrow.InvalidArgumentError):
        index.search_batch(["text", {"x": 1.0}])
    with pytest.raises(sparrow.InvalidArgumentError, match="no encoder"):
        index.search("a text query on a vector index")
    with pytest.raises(sparrow.InvalidArgumentError, match="one row"):
        index.search(sp.csr_matrix(np.ones((2, 2), dtype=np.float32)), vocab=["x", "y"])


def test_writes_refuse_garbage(tmp_path):
    index = sparrow.Index.build(["d1"], [{"x": 1.0}], path=tmp_path / "c")
    for call in (lambda: index.add(["d2"]), lambda: index.add(["d2"], [{"x": 1.0}], texts=["t"]),
                 lambda: index.add(["d2", "d3"], [{"x": 1.0}]), lambda: index.add(["d2"], [{"x": -1.0}]),
                 lambda: index.add(["d 2"], [{"x": 1.0}]), lambda: index.delete(None), lambda: index.delete("d1"),
                 lambda: index.add(["d2"], texts=["vectors collection"]), lambda: index.set_global_statistics({"documents": 1}),
                 lambda: index.corpus_statistics()):
        with pytest.raises(sparrow.SparrowError):
            call()
    assert len(index) == 1   # nothing applied
    index.close()


def test_bad_paths_and_models(tmp_path):
    for call in (lambda: sparrow.Index.open(None), lambda: sparrow.Index.open(42), lambda: sparrow.Index.create(None),
                 lambda: sparrow.Encoder(tmp_path), lambda: sparrow.Encoder(None), lambda: sparrow.Encoder("x", max_length=0),
                 lambda: sparrow.Index.build_text(["a"], ["t"], encoder=tmp_path)):
        with pytest.raises(sparrow.SparrowError):
            call()


def test_global_statistics_are_checked():
    text = sparrow.Index.build_text(["a", "b"], ["sparrow nest", "oak tree"])
    for bad in ({"documents": -1, "total_terms": 1}, {"documents": 1, "total_terms": 5, "df": {"oak": 3}},
                {"documents": 2}, {"documents": 2, "total_terms": 4, "df": []}, {"nonsense": 1}):
        with pytest.raises(sparrow.InvalidArgumentError):
            text.set_global_statistics(bad)
    with pytest.raises((sparrow.InvalidArgumentError, TypeError)):
        text.set_global_statistics("not a mapping")
