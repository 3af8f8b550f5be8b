"""Conformance tests of resumable loads (``load(items, mark=...)`` / ``load_mark()``).

Mixed into ``StorageBackendTests``; each test skips on a backend that does not
declare the ``resumable_load`` capability. A dump loaded batch by batch, each
with its marker, must dump again as it was; a batch that fails leaves the
store at a marker that agrees with what it holds; a marker of another source
is refused.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from relationship_core._storage.contract import Query, Write
from relationship_core._storage.dump import _line, dump_store
from relationship_core._storage.resume import LoadMark
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core.exceptions import StorageError

__all__ = ["ResumableLoadTests"]

_SCHEMA = Schema([KindSpec("resumed", {"n": "int"})])
_names = itertools.count()


def _lines(store: Any) -> list[tuple[str, str]]:
    return [_line(item, store.schema) for item in dump_store(store)]


class ResumableLoadTests:
    """``load(items, mark=LoadMark(source, done))``: a batch and its marker, together."""

    @pytest.fixture
    def resume_pair(self, make_backend: Any) -> Any:
        src = make_backend(_SCHEMA, f"resumesrc{next(_names)}")
        self.dst_name = f"resumedst{next(_names)}"
        dst = make_backend(_SCHEMA, self.dst_name)
        try:
            if "resumable_load" not in set(dst.capabilities):
                pytest.skip("backend does not declare the 'resumable_load' capability")
            with src.transaction() as tx:
                tx.put_many([Write("resumed", f"r{i}", {"i": i}, {"n": i}) for i in range(5)])
            yield src, dst
        finally:
            src.close()
            dst.close()

    def test_batches_with_markers_load_the_dump(self, resume_pair: Any) -> None:
        src, dst = resume_pair
        items = list(dump_store(src))
        assert dst.load_mark() is None
        dst.load(items[:2], mark=LoadMark("s1", 2))
        assert dst.load_mark() == LoadMark("s1", 2)
        dst.load(items[2:], mark=LoadMark("s1", 5))
        assert dst.load_mark() == LoadMark("s1", 5)
        assert _lines(dst) == _lines(src)

    def test_a_persistent_store_keeps_batches_and_marker(
        self, resume_pair: Any, make_backend: Any
    ) -> None:
        src, dst = resume_pair
        if "persistent" not in set(dst.capabilities):
            pytest.skip("backend does not declare the 'persistent' capability")
        items = list(dump_store(src))
        dst.load(items[:3], mark=LoadMark("s1", 3))
        dst.close()
        again = make_backend(_SCHEMA, self.dst_name)
        try:
            assert again.load_mark() == LoadMark("s1", 3)
            again.load(items[3:], mark=LoadMark("s1", 5))
            assert _lines(again) == _lines(src)
        finally:
            again.close()

    def test_a_marker_of_another_source_or_a_plain_store_is_refused(self, resume_pair: Any) -> None:
        src, dst = resume_pair
        items = list(dump_store(src))
        dst.load(items[:2], mark=LoadMark("s1", 2))
        with pytest.raises(StorageError, match="another source"):
            dst.load(items[2:], mark=LoadMark("s2", 3))
        with pytest.raises(StorageError, match="not empty"):
            dst.load(items[2:])  # a plain load wants an empty store
        assert dst.load_mark() == LoadMark("s1", 2)
        assert len(dst.query(Query("resumed")).records) == 2
        with pytest.raises(StorageError, match="not empty"):
            src.load(items[:1], mark=LoadMark("s1", 1))  # holds records, no marker

    def test_a_failed_batch_leaves_marker_and_contents_agreeing(self, resume_pair: Any) -> None:
        src, dst = resume_pair
        items = list(dump_store(src))
        dst.load(items[:2], mark=LoadMark("s1", 2))
        with pytest.raises(Exception):  # noqa: B017, PT011 - each backend has its own refusal
            dst.load([items[2], items[0]], mark=LoadMark("s1", 4))  # r0 is in already
        mark = dst.load_mark()
        held = len(dst.query(Query("resumed")).records)
        assert (mark, held) in {(LoadMark("s1", 2), 2), (None, 0)}
        done = 0 if mark is None else mark.done
        dst.load(items[done:], mark=LoadMark("s1", 5))
        assert _lines(dst) == _lines(src)
