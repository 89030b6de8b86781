"""Collections on disk from Python: writes, reopening, one writer at a time, read-only in-memory indexes."""

from __future__ import annotations

import pytest

import sparrow


def test_writes_persist_and_search_sees_them(tmp_path):
    path = tmp_path / "c"
    index = sparrow.Index.build(["d1", "d2"], [{"x": 1.0}, {"x": 2.0, "y": 1.0}], path=path, fsync="none")
    assert index.stats().writable
    assert index.add(["d1", "d3"], [{"x": 5.0}, {"y": 3.0}]) == (1, 1)
    assert index.delete(["d2", "missing"]) == 1
    assert list(index.search({"x": 1.0})[0]) == ["d1"]
    index.commit()
    index.close()
    with pytest.raises(sparrow.InvalidArgumentError, match="closed"):
        index.search({"x": 1.0})
    with sparrow.Index.open(path) as reopened:
        assert len(reopened) == 2
        ids, scores = reopened.search({"x": 1.0, "y": 1.0})
        assert list(ids) == ["d1", "d3"] and scores.tolist() == [5.0, 3.0]


def test_create_empty_text_collection_and_add_texts(tmp_path):
    with sparrow.Index.create(tmp_path / "t", text=True) as index:
        assert index.add(["a", "b"], texts=["sparrows nest", "oak trees"]) == (2, 0)
        assert list(index.search("sparrow")[0]) == ["a"]
        with pytest.raises(sparrow.InvalidArgumentError, match="text"):
            index.add(["c"], [{"x": 1.0}])


def test_one_writer_at_a_time(tmp_path):
    path = tmp_path / "c"
    first = sparrow.Index.build(["d1"], [{"x": 1.0}], path=path)
    with pytest.raises(sparrow.LockedError, match="open for writing"):
        sparrow.Index.open(path)
    first.close()
    sparrow.Index.open(path).close()


def test_in_memory_index_is_read_only():
    index = sparrow.Index.build(["d1"], [{"x": 1.0}])
    for write in (lambda: index.add(["d2"], [{"x": 1.0}]), lambda: index.delete(["d1"]), index.commit):
        with pytest.raises(sparrow.ReadOnlyError, match="read-only"):
            write()


def test_missing_and_corrupt_indexes(tmp_path):
    with pytest.raises(sparrow.IndexNotFoundError):
        sparrow.Index.open(tmp_path / "nowhere")
    path = tmp_path / "c"
    sparrow.Index.build(["d1"], [{"x": 1.0}], path=path).close()
    postings = next(p for p in path.iterdir() if p.name.endswith(".postings") or p.suffix == ".seg")
    data = bytearray(postings.read_bytes())
    data[len(data) // 2] ^= 0xFF
    postings.write_bytes(bytes(data))
    with pytest.raises(sparrow.SparrowError):
        sparrow.Index.open(path)


def test_read_only_handles_search_beside_the_writer(tmp_path):
    path = tmp_path / "c"
    writer = sparrow.Index.build(["d1"], [{"x": 1.0}], path=path)
    readers = [sparrow.Index.open(path, read_only=True) for _ in range(2)]
    for r in readers:
        assert not r.stats().writable and list(r.search({"x": 1.0})[0]) == ["d1"]
        with pytest.raises(sparrow.ReadOnlyError):
            r.delete(["d1"])
    writer.add(["d2"], [{"x": 2.0}])
    writer.commit()
    assert list(sparrow.Index.open(path, read_only=True).search({"x": 1.0})[0]) == ["d2", "d1"]
    with pytest.raises(sparrow.InvalidArgumentError, match="fsync"):
        sparrow.Index.open(tmp_path / "c", fsync="sometimes")
    writer.close()
