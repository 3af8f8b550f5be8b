"""Dump and load for the SQL stores (capability ``dump``), so any backend can be copied to or from them.

`sql_dump` reads through the store's own queries plus ``rc_unique`` (claims)
and ``rc_positions``; `sql_load` writes a dump into an empty store in ONE
transaction, so a failed load leaves it empty (a marked batch of a resumable
load, capability ``resumable_load``, commits with its marker in the table
``rc_load_progress``, so a failed batch leaves the store at the last one): records through the normal
write path (indexes, ``rc_multi`` rows and claims as usual) and then their
version set as dumped, events with their ``seq``, jobs with their state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from relationship_core._storage.contract import Job, Query, StoredEvent, Write
from relationship_core._storage.copy import _after_table, _for
from relationship_core._storage.dump import ConsumerPosition, DumpedRecord, DumpItem
from relationship_core._storage.resume import LoadMark, check_destination
from relationship_core._storage.sql import table
from relationship_core._storage.sqlversions import after_versions, dump_versions, load_version
from relationship_core._storage.versions import StoredVersion

__all__ = ["sql_dump", "sql_load", "sql_load_mark"]

_MARKS = "rc_load_progress"
_MARK_TABLE = f"CREATE TABLE IF NOT EXISTS {_MARKS} (source TEXT NOT NULL, done INTEGER NOT NULL)"

_JOB_COLUMNS = (
    "id, queue, payload, due_at, state, attempts, max_attempts, idempotency_key, "
    "lease_owner, lease_expires_at, last_error, job_group, fence"
)


def _claims(store: Any, kind: str, ids: list[str]) -> dict[str, dict[str, list[str]]]:
    ph = store.dialect.ph
    out: dict[str, dict[str, list[str]]] = {}
    with store._reader() as conn:
        rows = conn.execute(
            f"SELECT record_id, ukey, value FROM rc_unique WHERE kind = {ph} "
            f"AND record_id IN ({', '.join([ph] * len(ids))}) ORDER BY record_id, ukey, value",
            (kind, *ids),
        ).fetchall()
    for rid, key, value in rows:
        out.setdefault(str(rid), {}).setdefault(str(key), []).append(str(value))
    return out


def sql_dump(store: Any) -> Iterator[DumpItem]:
    """Every record (with its claims), event, job, consumer position and old version of an SQL store."""
    for spec in store.schema.kinds:
        after = None
        while True:
            page = store.query(Query(spec.name, limit=1000, after=after))
            ids = [r.id for r in page.records]
            claims = _claims(store, spec.name, ids) if spec.unique and ids else {}
            yield from (DumpedRecord(r, claims.get(r.id, {})) for r in page.records)
            if page.next_cursor is None:
                break
            after = page.next_cursor
    seq = 0
    while events := store.read_events(seq, 1000):
        yield from events
        seq = events[-1].seq
    last = None
    while jobs := store.list_jobs(limit=1000, after=last):
        yield from jobs
        last = jobs[-1].id
    with store._reader() as conn:
        rows = conn.execute("SELECT consumer, seq FROM rc_positions ORDER BY consumer").fetchall()
    yield from (ConsumerPosition(str(c), int(s)) for c, s in rows)
    with store._snapshot() as conn:
        versions = list(dump_versions(conn))
    yield from versions


def _empty(store: Any) -> bool:
    names = [table(spec.name) for spec in store.schema.kinds]
    with store._reader() as conn:
        for name in [*names, "rc_events", "rc_jobs", "rc_positions", "rc_versions"]:
            if conn.execute(f"SELECT 1 FROM {name} LIMIT 1").fetchone() is not None:
                return False
    return True


def sql_load_mark(store: Any) -> LoadMark | None:
    """The marker of the last marked load (table ``rc_load_progress``), or ``None``."""
    with store._writer() as conn:
        conn.execute(_MARK_TABLE)
        row = conn.execute(f"SELECT source, done FROM {_MARKS}").fetchone()
    return None if row is None else LoadMark(str(row[0]), int(row[1]))


def sql_load(store: Any, items: Iterable[DumpItem], mark: LoadMark | None = None) -> None:
    """Write a dump (or a marked batch of one) into *store*, all of it or (on an error) nothing.

    With *mark* the batch and the new marker commit in one transaction.
    """
    check_destination(_empty(store), None if mark is None else sql_load_mark(store), mark)
    ph = store.dialect.ph
    pending: list[DumpedRecord] = []

    def flush(tx: Any) -> None:
        if not pending:
            return
        tx.put_many(
            [
                Write(
                    d.record.kind,
                    d.record.id,
                    d.record.data,
                    d.record.indexed,
                    None,
                    d.record.schema_version,
                    d.keys,
                )
                for d in pending
            ]
        )
        name = table(pending[0].record.kind)  # one kind: flushed whenever the kind changes
        tx.conn.cursor().executemany(
            f"UPDATE {name} SET version = {ph} WHERE id = {ph}",
            [(d.record.version, d.record.id) for d in pending],
        )
        pending.clear()

    with store.transaction() as tx:
        conn = tx.conn
        for item in items:
            if isinstance(item, DumpedRecord):
                if pending and pending[0].record.kind != item.record.kind:
                    flush(tx)
                pending.append(item)
                if len(pending) >= 500:
                    flush(tx)
                continue
            flush(tx)
            if isinstance(item, StoredEvent):
                conn.execute(
                    "INSERT INTO rc_events (seq, type, aggregate_id, occurred_at, data, "
                    f"aggregate_kind) VALUES ({', '.join([ph] * 6)})",
                    (
                        item.seq,
                        item.type,
                        item.aggregate_id,
                        _for(store, "datetime", item.occurred_at),
                        _for(store, "json", item.data),
                        item.aggregate_kind,
                    ),
                )
            elif isinstance(item, StoredVersion):
                load_version(conn, store.dialect, item)
            elif isinstance(item, Job):
                conn.execute(
                    f"INSERT INTO rc_jobs ({_JOB_COLUMNS}) VALUES ({', '.join([ph] * 13)})",
                    _job_row(store, item),
                )
            else:
                conn.execute(
                    f"INSERT INTO rc_positions (consumer, seq) VALUES ({ph}, {ph})",
                    (item.consumer, item.seq),
                )
        flush(tx)
        after_versions(conn, store.dialect)
        if mark is not None:
            conn.execute(f"DELETE FROM {_MARKS}")
            conn.execute(
                f"INSERT INTO {_MARKS} (source, done) VALUES ({ph}, {ph})", (mark.source, mark.done)
            )
    _after_table(store, "rc_events")  # PostgreSQL numbers new events after the loaded ones


def _job_row(store: Any, job: Job) -> tuple[Any, ...]:
    return (
        job.id,
        job.queue,
        _for(store, "json", job.payload),
        _for(store, "datetime", job.due_at),
        job.state,
        job.attempts,
        job.max_attempts,
        job.idempotency_key,
        job.lease_owner,
        _for(store, "datetime", job.lease_expires_at),
        job.last_error,
        job.group,
        job.fence,
    )
