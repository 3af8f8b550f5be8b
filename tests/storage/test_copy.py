"""``copy_store`` and ``relationship-core copy``: a demo store both ways, resumed, refused."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import relationship_core._app.billing_kinds  # noqa: F401 - the CLI copies these kinds too
from relationship_core._app.facade import open_store
from relationship_core._cli import main
from relationship_core._storage.contract import NewJob, Query
from relationship_core._storage.copy import copy_store
from relationship_core.exceptions import StorageError, ValidationError


def _demo_store(demo_into: Callable[[str], None], url: str) -> None:
    demo_into(url)
    with open_store(url) as crm:
        backend: Any = crm.backend
        now = datetime.now(UTC)
        jobs = [NewJob("mail", {"n": n}, now, max_attempts=3, group=f"g{n % 2}") for n in range(7)]
        with backend.transaction() as tx:
            tx.enqueue(jobs)
            tx.save_position("copy-test", 42)
        backend.claim_jobs(worker="worker-1", now=now, lease=timedelta(minutes=5), limit=2)


def _everything(url: str) -> dict[str, Any]:
    with open_store(url) as crm:
        backend: Any = crm.backend
        records: dict[str, Any] = {}
        for spec in backend.schema.kinds:
            rows, after = [], None
            while True:
                page = backend.query(Query(spec.name, limit=500, after=after))
                rows += [(r.id, r.version, r.schema_version, dict(r.data)) for r in page.records]
                if page.next_cursor is None:
                    break
                after = page.next_cursor
            records[spec.name] = rows
        events = [
            (e.seq, e.type, e.aggregate_id, e.occurred_at, dict(e.data))
            for e in backend.read_events(0, 10_000)
        ]
        jobs = [
            (j.id, j.state, j.attempts, j.lease_owner, j.lease_expires_at, j.due_at, j.group)
            for j in backend.list_jobs(limit=1000)
        ]
        versions = [  # the old record versions (rc_versions), in their order
            (v.seq, v.kind, v.id, v.version, v.replaced_at, v.deleted, v.data)
            for spec in backend.schema.kinds
            for rid, *_ in records[spec.name]
            for v in backend.versions(spec.name, rid)
        ]
        return {
            "records": records,
            "events": events,
            "jobs": jobs,
            "position": backend.get_position("copy-test"),
            "versions": sorted(versions, key=lambda v: v[0]),
        }


def test_a_demo_store_goes_to_postgresql_and_back(
    demo_into: Callable[[str], None], sqlite_url: Callable[[str], str], pg_url: Callable[[str], str]
) -> None:
    first, pg, back = sqlite_url("first"), pg_url("copy_there"), sqlite_url("back")
    _demo_store(demo_into, first)
    assert main(["copy", first, pg]) == 0
    assert main(["copy", first, pg]) == 0  # a finished copy, run again, is only verified
    assert main(["copy", pg, back]) == 0
    want = _everything(first)
    assert want["events"]
    assert want["jobs"]
    assert want["position"] == 42
    assert _everything(pg) == want
    assert _everything(back) == want
    assert want["versions"]
    with open_store(pg) as crm:  # the copy goes on numbering events after the copied ones
        backend: Any = crm.backend
        top = want["events"][-1][0]
        assert backend.read_events(top - 1, 5)[-1].seq == top
        [party] = [p for p in crm.parties.iterate() if p.name == "Ada Lovelace"]
        kept = len(backend.versions("party", party.id))
        with crm.unit_of_work() as uow:  # and old versions after the copied ones
            uow.parties.get(party.id).name = "Ada King"
        later = backend.versions("party", party.id)
        assert len(later) == kept + 1
        assert later[-1].seq > want["versions"][-1][0]


def test_an_interrupted_copy_continues_to_a_verified_result(
    demo_into: Callable[[str], None], sqlite_url: Callable[[str], str], pg_url: Callable[[str], str]
) -> None:
    first, pg = sqlite_url("first"), pg_url("copy_resumed")
    _demo_store(demo_into, first)
    calls = 0

    def fail_midway(_name: str, _done: int, _total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt

    with open_store(first) as src, open_store(pg) as dst:
        with pytest.raises(KeyboardInterrupt):
            copy_store(src.backend, dst.backend, batch=20, progress=fail_midway)
        report = copy_store(src.backend, dst.backend, batch=20)
    assert report.resumed
    assert _everything(pg) == _everything(first)


def test_a_store_that_is_not_empty_is_refused_and_the_password_stays_hidden(
    demo_into: Callable[[str], None],
    sqlite_url: Callable[[str], str],
    pg_url: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = sqlite_url("first"), sqlite_url("second")
    _demo_store(demo_into, first)
    _demo_store(demo_into, second)
    assert main(["copy", first, second]) == 2
    assert "not empty" in capsys.readouterr().err
    with open_store(first) as src, open_store(second) as dst:
        with pytest.raises(StorageError, match="not empty"):
            copy_store(src.backend, dst.backend)
        with pytest.raises(ValidationError):
            copy_store(src.backend, dst.backend, batch=0)
    secret = "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/none"  # noqa: S105 - a test URL
    assert main(["copy", first, secret]) == 2
    out = capsys.readouterr()
    assert "s3cr3t-pw" not in out.out + out.err


def test_a_copy_killed_at_a_random_moment_is_finished_by_running_it_again(
    demo_into: Callable[[str], None], sqlite_url: Callable[[str], str], pg_url: Callable[[str], str]
) -> None:
    first, pg = sqlite_url("first"), pg_url("copy_killed")
    _demo_store(demo_into, first)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "relationship_core", "copy", first, pg, "--batch", "3"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert child.stdout is not None
    child.stdout.readline()  # the first table is in: kill it somewhere after that
    time.sleep(random.uniform(0, 0.3))
    child.kill()
    child.wait()
    child.stdout.close()
    assert main(["copy", first, pg]) == 0
    assert _everything(pg) == _everything(first)


def test_unique_keys_travel_with_their_records(
    sqlite_url: Callable[[str], str], pg_url: Callable[[str], str]
) -> None:
    from relationship_core._storage.copy import copy_store
    from relationship_core.exceptions import UniqueKeyConflictError
    from relationship_core.plugins import KindSpec, Schema, Write, get_plugin_manager

    schema = Schema([KindSpec("contact", {"name": "str"}, unique=("email",))])
    first, pg = sqlite_url("unique_src"), pg_url("copy_unique")
    manager = get_plugin_manager()
    source = manager.open_backend(first, schema)
    with source.transaction() as tx:  # more rows than a batch, keys sharing kind and key
        tx.put_many(
            [
                Write("contact", f"c{n}", {}, {"name": "x"}, keys={"email": [f"p{n}@x.org"]})
                for n in range(7)
            ]
        )
    destination = manager.open_backend(pg, schema)
    try:
        copy_store(source, destination, batch=3)
        with pytest.raises(UniqueKeyConflictError) as caught, destination.transaction() as tx:
            tx.put_many([Write("contact", "new", {}, {"name": "y"}, keys={"email": ["P6@x.org"]})])
        assert caught.value.holder == "c6"
    finally:
        source.close()
        destination.close()


@pytest.mark.postgres
def test_multi_valued_fields_travel_both_ways(
    sqlite_url: Callable[[str], str], pg_url: Callable[[str], str]
) -> None:
    from relationship_core.plugins import Condition, KindSpec, Schema, Write, get_plugin_manager

    schema = Schema([KindSpec("tagged", {"name": "str", "tags": "str[]"})])
    first, pg, back = sqlite_url("multi_src"), pg_url("copy_multi"), sqlite_url("multi_back")
    manager = get_plugin_manager()
    stores = [manager.open_backend(u, schema) for u in (first, pg, back)]
    try:
        with stores[0].transaction() as tx:  # more rows than a batch, values shared
            tx.put_many(
                [
                    Write("tagged", f"t{n}", {}, {"name": "x", "tags": ["all", f"n{n}"]})
                    for n in range(7)
                ]
                + [Write("tagged", "none", {}, {"name": "x", "tags": []})]
            )
        copy_store(stores[0], stores[1], batch=3)
        copy_store(stores[1], stores[2], batch=3)
        for store in stores[1:]:
            page = store.query(Query("tagged", (Condition("tags", "in", ["n6", "n0"]),)))
            assert [r.id for r in page.records] == ["t0", "t6"]
            assert store.get_many("tagged", ["t3"])["t3"].indexed["tags"] == ["all", "n3"]
            assert store.get_many("tagged", ["none"])["none"].indexed["tags"] == []
    finally:
        for store in stores:
            store.close()


def test_a_demo_store_goes_through_a_memory_store_by_dump_and_load(
    demo_into: Callable[[str], None],
    sqlite_url: Callable[[str], str],
) -> None:
    from relationship_core._storage.dump import copy_any

    first, back = sqlite_url("dumpfirst"), sqlite_url("dumpback")
    _demo_store(demo_into, first)
    with open_store(first) as src, open_store("memory://") as mem, open_store(back) as dst:
        report = copy_any(src.backend, mem.backend)
        assert report.tables["event"] > 0
        assert report.tables["position"] == 1
        assert copy_any(mem.backend, dst.backend).checksums == report.checksums
    assert _everything(back) == _everything(first)
    assert main(["copy", first, back]) == 2  # the destination is not empty now
