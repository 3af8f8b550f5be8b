"""Storage contract 2: old stores migrate on open, old backends get a clear error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from relationship_core._storage.dialect import layout_v1
from relationship_core._storage.memory import MemoryBackend
from relationship_core.exceptions import CapabilityError
from relationship_core.plugins import (
    KindSpec,
    Schema,
    StorageBackend,
    get_plugin_manager,
    require_job_control,
)

SCHEMA = Schema([KindSpec("tag", {"label": "str"})])
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _write_v1_store(url: str) -> None:
    """Build a store exactly as layout 1 left it, with one pending job."""
    if url.startswith("sqlite"):
        import sqlite3

        from relationship_core._storage.sqlite import DIALECT

        conn: object = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        ts = T0.isoformat()
    else:
        import psycopg

        from relationship_core._storage.postgres import DIALECT

        dsn, schema = url.split("?schema=")
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        ts = T0  # type: ignore[assignment]
    run = conn.execute  # type: ignore[attr-defined]
    run("CREATE TABLE rc_schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    for statement in layout_v1(DIALECT):
        run(statement)
    run("INSERT INTO rc_schema_version VALUES ('layout', 1)")
    ph = DIALECT.ph
    run(
        "INSERT INTO rc_jobs (id, queue, payload, due_at, state, attempts, max_attempts) "
        f"VALUES ('old', 'q', '{{}}', {ph}, 'pending', 0, 3)",
        (ts,),
    )
    conn.close()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> Callable[[str], str]:
    if request.param == "sqlite":
        return lambda name: f"sqlite:///{tmp_path}/{name}.db"
    return request.getfixturevalue("pg_url")  # type: ignore[no-any-return]


def test_layout_1_store_is_migrated_to_2_on_open(store_url: Callable[[str], str]) -> None:
    url = store_url("layoutone")
    _write_v1_store(url)
    store = get_plugin_manager().open_backend(url, SCHEMA)
    try:
        assert "storage layout migrated to version 2" in store.schema_changes  # type: ignore[attr-defined]
        jc = require_job_control(store)
        old = jc.get_job("old")
        assert old is not None
        assert (old.group, old.fence, old.state) == (None, 0, "pending")
        [job] = jc.claim_jobs(worker="w", now=T0, lease=timedelta(minutes=1))
        assert job.fence == 1
        with jc.transaction() as tx:
            tx.complete_job(job)
            tx.save_position("c", 1)
        assert jc.get_position("c") == 1
    finally:
        store.close()


class _OldBackend(MemoryBackend):
    """A backend written for contract 1: no contract_version, no job_control."""

    capabilities = frozenset({"threads"})


def test_old_backend_gets_an_error_naming_backend_and_capability() -> None:
    old: StorageBackend = _OldBackend(SCHEMA)
    del_version = type("V1", (_OldBackend,), {"contract_version": 1})(SCHEMA)
    with pytest.raises(CapabilityError, match=r"V1.*'job_control'.*contract 1"):
        require_job_control(del_version)
    with pytest.raises(CapabilityError, match=r"_OldBackend.*'job_control'") as err:
        require_job_control(old)
    assert (err.value.backend, err.value.capability) == ("_OldBackend", "job_control")
