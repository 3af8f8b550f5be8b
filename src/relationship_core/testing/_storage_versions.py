"""Conformance tests of old record versions (``versions(kind, id)``, capability ``versions``).

Mixed into ``StorageBackendTests``; each test skips on a backend that does not
declare the capability. Every update and delete keeps the version it replaced,
atomically with the write (a rolled-back transaction keeps nothing); inserts
keep nothing; a record deleted and created again continues its history;
``drop_versions`` and ``prune_versions`` forget them inside a transaction; a
dump carries them. A Hypothesis test writes random update sequences and reads
every version back.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core._storage.contract import Delete, Write
from relationship_core._storage.dump import dump_store, load_store
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import ConflictError

__all__ = ["VersionTests"]

_SCHEMA = Schema(
    [
        KindSpec("doc", {"title": "str"}),
        KindSpec("other", {"title": "str"}),
        KindSpec("counter", {"title": "str"}, versions=False),
    ]
)
_names = itertools.count()


def _doc(rid: str, n: int, version: int | None = None, kind: str = "doc") -> Write:
    return Write(kind, rid, {"n": n, "text": f"v{n}"}, {"title": f"t{n}"}, version, 3)


class VersionTests:
    """``versions``: every replaced and deleted record version, oldest first."""

    @pytest.fixture
    def versioned(self, make_backend: Any) -> Any:
        store = make_backend(_SCHEMA, f"versions{next(_names)}")
        try:
            if "versions" not in store.capabilities:
                pytest.skip("backend does not declare the 'versions' capability")
            yield store
        finally:
            store.close()

    def test_an_insert_keeps_no_version(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1)])
        assert versioned.versions("doc", "a") == []
        assert versioned.versions("doc", "never") == []

    def test_a_kind_declared_without_versions_keeps_none(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("c", 1, kind="counter"), _doc("d", 1)])
        with versioned.transaction() as tx:
            tx.put_many([_doc("c", 2, 1, kind="counter"), _doc("d", 2, 1)])
        with versioned.transaction() as tx:
            tx.delete(Delete("counter", "c", 2))
        assert versioned.versions("counter", "c") == []
        assert [v.version for v in versioned.versions("doc", "d")] == [1]

    def test_each_update_keeps_the_version_it_replaced(self, versioned: Any) -> None:
        before = datetime.now(UTC) - timedelta(seconds=5)
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1), _doc("b", 10)])
        for n in (2, 3):
            with versioned.transaction() as tx:
                tx.put_many([_doc("a", n, n - 1), _doc("b", 10 + n, n - 1)])
        kept = versioned.versions("doc", "a")
        assert [(v.version, v.data, v.schema_version) for v in kept] == [
            (1, {"n": 1, "text": "v1"}, 3),
            (2, {"n": 2, "text": "v2"}, 3),
        ]
        assert all(isinstance(v, StoredVersion) and not v.deleted for v in kept)
        assert all(v.kind == "doc" and v.id == "a" for v in kept)
        assert kept[0].seq < kept[1].seq
        assert all(
            before <= v.replaced_at <= datetime.now(UTC) + timedelta(seconds=5) for v in kept
        )
        assert kept[0].replaced_at.tzinfo is not None
        assert [v.data["n"] for v in versioned.versions("doc", "b")] == [10, 12]
        assert versioned.versions("other", "a") == []

    def test_every_kept_version_is_read_in_seq_order(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1), _doc("b", 1), _doc("a", 1, kind="other")])
        for n in (2, 3):
            with versioned.transaction() as tx:
                tx.put_many([_doc("b", n, n - 1), _doc("a", n, n - 1, kind="other")])
        with versioned.transaction() as tx:
            tx.delete(Delete("doc", "a", 1))
        every = versioned.read_versions(0, 100)
        assert [(v.kind, v.id, v.version) for v in every] == [
            ("doc", "b", 1),
            ("other", "a", 1),
            ("doc", "b", 2),
            ("other", "a", 2),
            ("doc", "a", 1),
        ]
        assert every[-1].deleted
        assert versioned.read_versions(every[1].seq, 2) == every[2:4]
        assert versioned.read_versions(every[-1].seq, 10) == []

    def test_a_record_written_twice_in_one_call_keeps_both(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1), _doc("b", 1)])
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 2, 1), _doc("b", 2, 1), _doc("a", 3, 2)])
        assert [(v.version, v.data["n"]) for v in versioned.versions("doc", "a")] == [
            (1, 1),
            (2, 2),
        ]
        assert [v.data["n"] for v in versioned.versions("doc", "b")] == [1]

    def test_a_delete_keeps_the_last_version_marked_deleted(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1)])
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 2, 1)])
        with versioned.transaction() as tx:
            tx.delete(Delete("doc", "a", 2))
        with versioned.transaction() as tx:  # created again: the history goes on
            tx.put_many([_doc("a", 7)])
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 8, 1)])
        kept = versioned.versions("doc", "a")
        assert [(v.version, v.data["n"], v.deleted) for v in kept] == [
            (1, 1, False),
            (2, 2, True),
            (1, 7, False),
        ]
        assert [v.seq for v in kept] == sorted(v.seq for v in kept)

    def test_a_rolled_back_or_stale_write_keeps_nothing(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1), _doc("b", 1)])

        def update_and_delete(tx: Any) -> None:
            tx.put_many([_doc("a", 2, 1)])
            tx.delete(Delete("doc", "b", 1))

        _rolled_back(versioned, update_and_delete)
        with pytest.raises(ConflictError), versioned.transaction() as tx:
            tx.put_many([_doc("a", 2, 1), _doc("b", 2, 5)])
        with pytest.raises(ConflictError), versioned.transaction() as tx:
            tx.delete(Delete("doc", "b", 4))
        assert versioned.versions("doc", "a") == []
        assert versioned.versions("doc", "b") == []

    def test_versions_are_dropped_and_pruned_in_a_transaction(self, versioned: Any) -> None:
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1), _doc("b", 1), _doc("a", 1, kind="other")])
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 2, 1), _doc("b", 2, 1), _doc("a", 2, 1, kind="other")])
        _rolled_back(versioned, lambda tx: tx.drop_versions("doc", ["a"]))  # still there
        assert len(versioned.versions("doc", "a")) == 1
        with versioned.transaction() as tx:
            assert tx.drop_versions("doc", ["a", "missing"]) == 1
        assert versioned.versions("doc", "a") == []
        assert len(versioned.versions("doc", "b")) == 1
        assert len(versioned.versions("other", "a")) == 1  # another kind's id is another record
        with versioned.transaction() as tx:
            assert tx.prune_versions(datetime.now(UTC) - timedelta(days=1)) == 0
        later = datetime.now(UTC) + timedelta(minutes=1)
        with versioned.transaction() as tx:
            assert tx.prune_versions(later, ["other"]) == 1
        assert versioned.versions("other", "a") == []
        assert len(versioned.versions("doc", "b")) == 1
        with versioned.transaction() as tx:
            assert tx.prune_versions(later) == 1
        assert versioned.versions("doc", "b") == []
        assert versioned.versions("other", "a") == []

    def test_a_dump_carries_the_versions(self, versioned: Any, make_backend: Any) -> None:
        if "dump" not in versioned.capabilities:
            pytest.skip("backend does not declare the 'dump' capability")
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 1)])
        with versioned.transaction() as tx:
            tx.put_many([_doc("a", 2, 1)])
        with versioned.transaction() as tx:
            tx.delete(Delete("doc", "a", 2))
        dst = make_backend(_SCHEMA, f"versionsdst{next(_names)}")
        try:
            load_store(dst, dump_store(versioned))
            assert dst.versions("doc", "a") == versioned.versions("doc", "a")
            with dst.transaction() as tx:  # numbered after the loaded ones
                tx.put_many([_doc("a", 5)])
            with dst.transaction() as tx:
                tx.put_many([_doc("a", 6, 1)])
            seqs = [v.seq for v in dst.versions("doc", "a")]
            assert seqs == sorted(set(seqs))
            assert len(seqs) == 3
        finally:
            dst.close()

    #: Hypothesis settings for the random update sequences.
    version_settings = settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )

    def test_random_updates_keep_every_version(self, versioned: Any) -> None:
        @self.version_settings
        @given(steps=st.lists(st.sampled_from(["update", "delete"]), min_size=1, max_size=8))
        def check(steps: list[str]) -> None:
            _check_sequence(versioned, steps)

        check()


class _RollbackError(Exception):
    """Raised inside a transaction to roll it back."""


def _rolled_back(store: Any, body: Any) -> None:
    """Run *body(tx)* in a transaction that then raises (so nothing it did stays)."""

    def run() -> None:
        with store.transaction() as tx:
            body(tx)
            raise _RollbackError

    with pytest.raises(_RollbackError):
        run()


def _check_sequence(versioned: Any, steps: list[str]) -> None:
    """Write *steps* to a fresh record; its kept versions are exactly the replaced ones."""
    rid = f"r{next(_names)}"
    written: list[tuple[int, int, bool]] = []  # (version, n, deleted) of each kept version
    n = 0
    with versioned.transaction() as tx:
        version: int | None = tx.put_many([_doc(rid, n)])[0].version
    for step in steps:
        if version is None:  # deleted: create it again
            n += 1
            with versioned.transaction() as tx:
                version = tx.put_many([_doc(rid, n)])[0].version
            continue
        if step == "delete":
            with versioned.transaction() as tx:
                tx.delete(Delete("doc", rid, version))
            written.append((version, n, True))
            version = None
            continue
        with versioned.transaction() as tx:
            new = tx.put_many([_doc(rid, n + 1, version)])[0].version
        written.append((version, n, False))
        version, n = new, n + 1
    kept = versioned.versions("doc", rid)
    assert [(v.version, v.data["n"], v.deleted) for v in kept] == written
