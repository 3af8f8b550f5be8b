"""Conformance tests of the declared capabilities: reopening, threads.

Part of `relationship_core.testing.storage.StorageBackendTests`; each test
is skipped for a backend that does not declare its capability.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import cast

import pytest

from relationship_core._storage.contract import (
    NewEvent,
    NewJob,
)
from relationship_core._storage.protocols import StorageBackend
from relationship_core.exceptions import ConflictError
from relationship_core.testing._kit_schema import KIT_SCHEMA, T0, BackendMaker, item

__all__ = ["CapabilityTests"]


class CapabilityTests:
    """Conformance tests of the declared capabilities: reopening, threads."""

    @staticmethod
    def require(store: StorageBackend, capability: str) -> None:
        """Skip unless the backend declares *capability*."""
        if capability not in store.capabilities:
            pytest.skip(f"backend does not declare the {capability!r} capability")

    # -- capabilities -------------------------------------------------------------------

    def test_reopen_keeps_everything(self, make_backend: BackendMaker) -> None:
        first = make_backend(KIT_SCHEMA, "reopen")
        self.require(first, "persistent")
        try:
            with first.transaction() as tx:
                tx.put_many([item("a", rank=7, data={"k": "v"})])
                tx.append_events([NewEvent("e", "a", T0)])
                [jid] = tx.enqueue([NewJob("q", {"p": 1}, T0, idempotency_key="once")])
        finally:
            first.close()
        second = make_backend(KIT_SCHEMA, "reopen")
        try:
            got = second.get_many("item", ["a"])["a"]
            assert (got.version, got.data, got.indexed["rank"]) == (1, {"k": "v"}, 7)
            assert [e.type for e in second.read_events()] == ["e"]
            with second.transaction() as tx:
                assert tx.enqueue([NewJob("q", {}, T0, idempotency_key="once")]) == [jid]
                assert tx.append_events([NewEvent("f", "a", T0)]) == [2]
        finally:
            second.close()

    def test_concurrent_writers_lose_no_update(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        with backend.transaction() as tx:
            tx.put_many([item("counter", rank=0)])
        applied: list[int] = []
        conflicts: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(15):
                while True:
                    rec = backend.get_many("item", ["counter"])["counter"]
                    try:
                        with backend.transaction() as tx:
                            tx.put_many(
                                [
                                    item(
                                        "counter",
                                        rank=cast(int, rec.indexed["rank"]) + 1,
                                        expected=rec.version,
                                    )
                                ]
                            )
                    except ConflictError:
                        with lock:
                            conflicts.append(1)
                        continue
                    with lock:
                        applied.append(1)
                    break

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = backend.get_many("item", ["counter"])["counter"]
        assert len(applied) == 60
        assert final.version == 1 + len(applied)
        assert final.indexed["rank"] == len(applied)

    def test_concurrent_claims_never_share_a_job(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        with backend.transaction() as tx:
            ids = tx.enqueue([NewJob("q", {"i": i}, T0) for i in range(60)])
        seen: list[str] = []
        lock = threading.Lock()

        def work(name: str) -> None:
            while True:
                jobs = backend.claim_jobs(worker=name, now=T0, lease=timedelta(hours=1), limit=3)
                if not jobs:
                    return
                for job in jobs:
                    backend.complete_job(job)
                with lock:
                    seen.extend(j.id for j in jobs)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(seen) == sorted(ids)

    def test_followers_never_skip_events(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        stop = threading.Event()
        problems: list[str] = []
        seen: list[int] = []

        def follow() -> None:
            position = 0
            while True:
                done = stop.is_set()
                events = backend.read_events(after=position, limit=50)
                seqs = [e.seq for e in events]
                if seqs != list(range(position + 1, position + 1 + len(seqs))):
                    problems.append(f"after {position} read {seqs}")
                    return
                seen.extend(seqs)
                position += len(seqs)
                if done and not seqs:
                    return

        def write(n: int) -> None:
            for i in range(15):
                with backend.transaction() as tx:
                    tx.append_events([NewEvent("w", f"{n}-{i}", T0), NewEvent("w", f"{n}-{i}", T0)])

        reader = threading.Thread(target=follow)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join()
        stop.set()
        reader.join()
        assert problems == []
        assert seen == list(range(1, 4 * 15 * 2 + 1))
