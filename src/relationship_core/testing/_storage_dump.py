"""Conformance tests of whole-store dumps (``dump()`` / ``load(items)``, capability ``dump``).

Mixed into ``StorageBackendTests``; each test skips on a backend that does not
declare the capability. A dump loaded into a second, empty store of the same
backend must dump again to the same values: record versions and unique-key
claims, event positions, job states and consumer positions.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from relationship_core._storage.contract import Delete, NewEvent, NewJob, Query, Write
from relationship_core._storage.dump import _line, dump_store, load_store
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core.exceptions import StorageError, UniqueKeyConflictError

__all__ = ["DumpTests"]

_PLAIN = Schema([KindSpec("dumped", {"name": "str", "n": "int"})])
_KEYED = Schema([KindSpec("dumped", {"name": "str", "n": "int"}, unique=("code",))])
_names = itertools.count()
_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _lines(store: Any) -> list[tuple[str, str]]:
    return [_line(item, store.schema) for item in dump_store(store)]


class DumpTests:
    """``dump`` and ``load``: a whole store out as values and into an empty store as it was."""

    @pytest.fixture
    def dump_pair(self, make_backend: Any) -> Any:
        first = make_backend(_PLAIN, f"dumpprobe{next(_names)}")
        caps = set(first.capabilities)
        first.close()
        if "dump" not in caps:
            pytest.skip("backend does not declare the 'dump' capability")
        schema = _KEYED if "unique_keys" in caps else _PLAIN
        src = make_backend(schema, f"dumpsrc{next(_names)}")
        dst = make_backend(schema, f"dumpdst{next(_names)}")
        try:
            yield src, dst
        finally:
            src.close()
            dst.close()

    def _fill_for_dump(self, store: Any) -> None:
        keyed = bool(store.schema.kind("dumped").unique)

        def write(rid: str, n: int, version: int | None = None) -> Write:
            keys = {"code": [f"C-{rid}"]} if keyed else {}
            return Write("dumped", rid, {"n": n, "s": "ü"}, {"name": rid, "n": n}, version, 2, keys)

        with store.transaction() as tx:
            tx.put_many([write("a", 1), write("b", 2), write("c", 3)])
            tx.append_events([NewEvent("t.one", "a", _AT, {"x": [1, 2]}, "dumped")] * 3)
        with store.transaction() as tx:
            tx.put_many([write("a", 10, version=1)])
            tx.delete(Delete("dumped", "c", 1))
        if "job_control" in store.capabilities:
            with store.transaction() as tx:
                tx.enqueue(
                    [
                        NewJob("q", {"i": i}, _AT + timedelta(minutes=i), f"k{i}", 3, f"job{i}")
                        for i in range(3)
                    ]
                )
                tx.save_position("reader", 2)
            [claimed] = store.claim_jobs(
                worker="w", now=_AT + timedelta(hours=1), lease=timedelta(minutes=5)
            )
            store.complete_job(claimed)
            store.claim_jobs(worker="w2", now=_AT + timedelta(hours=1), lease=timedelta(minutes=5))

    def test_a_loaded_dump_dumps_again_the_same(self, dump_pair: Any) -> None:
        src, dst = dump_pair
        self._fill_for_dump(src)
        before = _lines(src)
        load_store(dst, dump_store(src))
        assert _lines(dst) == before
        got = dst.get_many("dumped", ["a", "b", "c"])
        assert sorted(got) == ["a", "b"]
        assert got["a"].version == 2
        assert got["a"].schema_version == 2
        assert dst.query(Query("dumped", [("n", "ge", 5)])).records[0].id == "a"
        with dst.transaction() as tx:  # the log goes on after the loaded events
            assert tx.append_events([NewEvent("t.two", "b", _AT, {})]) == [4]
        if "job_control" in dst.capabilities:
            assert dst.get_job("job0").state == "done"
            assert dst.get_job("job1").state == "claimed"
            assert dst.get_job("job1").fence == 1
            assert dst.get_position("reader") == 2
            with dst.transaction() as tx:  # idempotency keys travel too
                assert tx.enqueue([NewJob("q", {}, _AT, "k2")]) == ["job2"]

    def test_claims_travel_with_their_records(self, dump_pair: Any) -> None:
        src, dst = dump_pair
        if not src.schema.kind("dumped").unique:
            pytest.skip("backend does not declare the 'unique_keys' capability")
        self._fill_for_dump(src)
        load_store(dst, dump_store(src))
        with pytest.raises(UniqueKeyConflictError) as caught, dst.transaction() as tx:
            tx.put_many([Write("dumped", "z", {}, {"name": "z", "n": 0}, keys={"code": ["c-a"]})])
        assert caught.value.holder == "a"
        with dst.transaction() as tx:  # c was deleted: its code is free
            tx.put_many([Write("dumped", "y", {}, {"name": "y", "n": 0}, keys={"code": ["C-c"]})])

    def test_load_refuses_a_store_that_is_not_empty(self, dump_pair: Any) -> None:
        src, dst = dump_pair
        self._fill_for_dump(src)
        with dst.transaction() as tx:
            tx.put_many([Write("dumped", "q", {}, {"name": "q", "n": 0})])
        with pytest.raises(StorageError, match="not empty"):
            load_store(dst, dump_store(src))
        assert sorted(r.id for r in dst.query(Query("dumped")).records) == ["q"]
