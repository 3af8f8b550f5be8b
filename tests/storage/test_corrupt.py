"""A row changed behind the library's back is reported as CorruptRecordError, naming it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from relationship_core.exceptions import CorruptRecordError
from relationship_core.plugins import (
    KindSpec,
    NewEvent,
    NewJob,
    Query,
    Schema,
    StorageBackend,
    Write,
    get_plugin_manager,
)

SCHEMA = Schema([KindSpec("thing", {"name": "str"})])
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _filled(url: str) -> tuple[StorageBackend, str]:
    store = get_plugin_manager().open_backend(url, SCHEMA)
    with store.transaction() as tx:
        tx.put_many([Write("thing", "t1", {"ok": True}, {"name": "x"})])
        tx.append_events([NewEvent("a.b", "t1", T0, {"n": 1})])
        [jid] = tx.enqueue([NewJob("q", {"p": 1}, T0)])
    return store, jid


def _assert_named(store: StorageBackend, jid: str) -> None:
    for read in (
        lambda: store.get_many("thing", ["t1"]),
        lambda: store.get_many("thing", ["t1", "t2"]),
        lambda: store.query(Query("thing")),
    ):
        with pytest.raises(CorruptRecordError) as info:
            read()
        assert (info.value.kind, info.value.id) == ("thing", "t1")
        assert "'t1'" in str(info.value)
    with pytest.raises(CorruptRecordError) as event:
        store.read_events()
    assert (event.value.kind, event.value.id) == ("event", "1")
    with pytest.raises(CorruptRecordError) as job:
        store.get_job(jid)
    assert (job.value.kind, job.value.id) == ("job", jid)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"', "null"])
def test_sqlite_tampered_document(sqlite_url: Callable[[str], str], text: str) -> None:
    url = sqlite_url("tampered")
    store, jid = _filled(url)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
        raw.execute("UPDATE rc_rec_thing SET data = ?", (text,))
        raw.execute("UPDATE rc_events SET data = ?", (text,))
        raw.execute("UPDATE rc_jobs SET payload = ?", (text,))
    raw.close()
    _assert_named(store, jid)
    store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("text", ["[1, 2]", '"a string"', "null"])
def test_postgres_tampered_document(pg_url: Callable[[str], str], pg_dsn: str, text: str) -> None:
    import psycopg

    url = pg_url(f"tampered{len(text)}")
    store, jid = _filled(url)
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(pg_dsn, autocommit=True) as raw:
        raw.execute(f'UPDATE "{schema}".rc_rec_thing SET data = %s::json', (text,))
        raw.execute(f'UPDATE "{schema}".rc_events SET data = %s::json', (text,))
        raw.execute(f'UPDATE "{schema}".rc_jobs SET payload = %s::json', (text,))
    _assert_named(store, jid)
    store.close()
