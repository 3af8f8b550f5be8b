"""Copy a whole SQL store into another, empty one: `copy_store`.

Works table by table, in primary-key order, in batches; each batch is
written together with a progress marker (the table ``rc_copy_progress`` in
the destination), so a copy that was interrupted continues where it stopped
when run again. Values are turned into their meaning on the way (a
``TEXT`` instant in SQLite becomes a ``TIMESTAMPTZ`` in PostgreSQL, money
in whole millionths becomes ``NUMERIC`` ...), so record versions, event
positions (``seq``), jobs with their leases, attempts and groups, consumer
positions and old record versions (``rc_versions``, with their ``seq``)
arrive as they were. At the end every table is checked:
same number of rows and the same checksum over the rows' meaning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from relationship_core._storage.schema import decode_value, encode_value
from relationship_core._storage.sql import column, table
from relationship_core._storage.sqlversions import after_versions
from relationship_core.exceptions import StorageError, ValidationError

__all__ = ["CopyReport", "copy_store"]

#: Tables every store makes for itself (its own layout bookkeeping), never copied.
_OWN = frozenset(
    {"rc_schema_version", "rc_kinds", "rc_counters", "rc_copy_progress", "rc_load_progress"}
)
_PROGRESS = "rc_copy_progress"
_JSON = "json"
_TIME = "datetime"
#: Column meanings of the store's own tables; a kind's come from its fields.
_FIXED: dict[str, dict[str, str]] = {
    "rc_events": {"occurred_at": _TIME, "data": _JSON},
    "rc_jobs": {"payload": _JSON, "due_at": _TIME, "lease_expires_at": _TIME},
    "rc_versions": {"data": _JSON, "replaced_at": _TIME, "deleted": "bool"},
}
#: The key each table is copied in order of.
_KEYS: dict[str, tuple[str, ...]] = {
    "rc_events": ("seq",),
    "rc_versions": ("seq",),
    "rc_positions": ("consumer",),
    "rc_unique": ("kind", "ukey", "value"),
    "rc_multi": ("kind", "field", "value", "record_id"),
}


def _key_of(name: str) -> tuple[str, ...]:
    return _KEYS.get(name, ("id",))


def _last_key(cols: Sequence[str], name: str, row: Sequence[Any]) -> list[Any]:
    return [row[cols.index(column)] for column in _key_of(name)]


#: ``(table, rows copied so far, rows in the table)``.
Progress = Callable[[str, int, int], None]


@attrs.frozen
class CopyReport:
    """What `copy_store` copied: rows per table and the checksums that matched.

    Attributes:
        tables: ``{table: rows}`` for every table copied.
        checksums: ``{table: sha256}`` of the rows' meaning, the same in both stores.
        resumed: True when an interrupted copy was continued.
    """

    tables: dict[str, int]
    checksums: dict[str, str]
    resumed: bool


def _sql(backend: object) -> Any:
    if not hasattr(backend, "dialect") or not hasattr(backend, "_writer"):
        raise ValidationError(
            "store", type(backend).__name__, "copy needs an SQL store (sqlite:// or postgresql://)"
        )
    return backend


def _tables(store: Any) -> list[str]:
    with store._reader() as conn:
        if store.dialect.name == "SQLite":
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        else:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (store.pg_schema,),
            ).fetchall()
    return sorted(str(r[0]) for r in rows if str(r[0]) not in _OWN)


def _meanings(store: Any, name: str) -> dict[str, str]:
    if name in _FIXED:
        return _FIXED[name]
    for spec in store.schema.kinds:
        if table(spec.name) == name:
            return {"data": _JSON, **{column(f.name): f.type for f in spec.fields}}
    return {}


def _canonical(meaning: str | None, value: Any) -> Any:
    """A driver's value as what it means (JSON parsed, instants and money decoded)."""
    if value is None or meaning is None:
        return value
    if meaning == _JSON:
        return json.loads(value) if isinstance(value, str | bytes) else value
    if meaning == "decimal" and isinstance(value, Decimal):
        return value
    if meaning in {"int", "str"}:
        return value
    return decode_value(meaning, value)  # type: ignore[arg-type]


def _for(store: Any, meaning: str | None, value: Any) -> Any:
    """A meaning turned into *store*'s driver parameter."""
    if value is None or meaning is None:
        return value
    if meaning == _JSON:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if store.dialect.encode is None:
        return value
    return encode_value(meaning, value)  # type: ignore[arg-type]


def _text(value: Any) -> str:
    if isinstance(value, datetime | date | Decimal):
        return repr(value.isoformat() if not isinstance(value, Decimal) else value.normalize())
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return json.dumps(value, sort_keys=True, default=str)


def _rows(store: Any, name: str, cols: Sequence[str], after: Any, limit: int) -> list[Any]:
    key = _key_of(name)
    ph = store.dialect.ph
    marks = ", ".join([ph] * len(key))
    where = "" if after is None else f" WHERE ({', '.join(key)}) > ({marks})"
    sql = f"SELECT {', '.join(cols)} FROM {name}{where} ORDER BY {', '.join(key)}"
    with store._reader() as conn:
        params = () if after is None else tuple(after)
        return list(conn.execute(f"{sql} LIMIT {int(limit)}", params).fetchall())


def _count(store: Any, name: str) -> int:
    with store._reader() as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])


def _checksum(store: Any, name: str, cols: Sequence[str], meanings: dict[str, str]) -> str:
    digest = hashlib.sha256()
    after: Any = None
    while rows := _rows(store, name, cols, after, 5000):
        for row in rows:
            canon = [_canonical(meanings.get(c), v) for c, v in zip(cols, row, strict=True)]
            digest.update("|".join(_text(v) for v in canon).encode() + b"\n")
        after = _last_key(cols, name, rows[-1])
    return digest.hexdigest()


def _progress_of(dst: Any) -> dict[str, str] | None:
    with dst._writer() as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_PROGRESS} (name TEXT PRIMARY KEY, last TEXT, done INTEGER NOT NULL)"
        )
        rows = conn.execute(f"SELECT name, last, done FROM {_PROGRESS}").fetchall()
    return {str(r[0]): json.dumps([r[1], int(r[2])]) for r in rows} if rows else None


def copy_store(
    source: object, destination: object, *, batch: int = 1000, progress: Progress | None = None
) -> CopyReport:
    """Copy every record, event, job and consumer position of *source* into *destination*.

    Both are open SQL stores (SQLite or PostgreSQL, either way round) with the
    same kinds. The destination must be empty, or hold an interrupted copy
    of the same source, which is then continued.

    Raises:
        ValidationError: a store that is not an SQL store, or a bad *batch*.
        StorageError: a non-empty destination, or a copy whose rows or
            checksums do not match at the end.
    """
    src, dst = _sql(source), _sql(destination)
    if type(batch) is not int or not 1 <= batch <= 100_000:
        raise ValidationError("batch", batch, "expected a whole number from 1 to 100000")
    names = _tables(src)
    there = set(_tables(dst))
    started = _progress_of(dst)
    if started is None and any(_count(dst, n) for n in names if n in there):
        raise StorageError(
            "the destination store is not empty; copy into a new, empty store "
            "(a fresh SQLite file or an empty PostgreSQL schema, e.g. ?schema=crm_copy)"
        )
    state = {k: json.loads(v) for k, v in (started or {}).items()}
    report_tables: dict[str, int] = {}
    checksums: dict[str, str] = {}
    for name in names:
        if name not in there:
            raise StorageError(f"the destination has no table {name}: open it with the same kinds")
        report_tables[name] = _copy_table(
            src, dst, name, state.get(name, [None, 0]), batch=batch, progress=progress
        )
        _after_table(dst, name)
    for name in names:
        checksums[name] = _verify(src, dst, name)
    # The marker stays: a copy killed after its last commit but before it could say so
    # is run again, finds every table done and only verifies (instead of "not empty").
    return CopyReport(report_tables, checksums, started is not None)


def _after_table(dst: Any, name: str) -> None:
    """Keep the destination numbering events (and old versions) after the copied ones."""
    if name == "rc_versions":
        with dst._writer() as conn:
            after_versions(conn, dst.dialect)
        return
    if name != "rc_events" or dst.dialect.name == "SQLite":
        return  # SQLite's AUTOINCREMENT follows the highest seq inserted
    with dst._writer() as conn:
        top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM rc_events").fetchone()[0]
        conn.execute("UPDATE rc_counters SET value = %s WHERE name = 'events'", (top,))


def _columns_of(src: Any, dst: Any, name: str) -> list[str]:
    with src._reader() as conn:
        cols = set(src.dialect.columns(conn, name))
    with dst._reader() as conn:
        return sorted(cols & set(dst.dialect.columns(conn, name)))


def _copy_table(
    src: Any, dst: Any, name: str, state: list[Any], *, batch: int, progress: Progress | None
) -> int:
    """Copy *name*'s rows after the marker *state* (``[last key as JSON, done]``)."""
    cols = _columns_of(src, dst, name)
    meanings = _meanings(src, name)
    total = _count(src, name)
    last, done = state
    after: Any = None if last is None else json.loads(last)
    copied = _count(dst, name)
    ph = dst.dialect.ph
    insert = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})"
    while not done:
        rows = _rows(src, name, cols, after, batch)
        out = [
            tuple(
                _for(dst, meanings.get(c), _canonical(meanings.get(c), v))
                for c, v in zip(cols, row, strict=True)
            )
            for row in rows
        ]
        if rows:
            after = _last_key(cols, name, rows[-1])
        done = int(len(rows) < batch)
        with dst._writer() as conn:  # the rows and the marker commit together
            if out:
                conn.cursor().executemany(insert, out)
            conn.execute(f"DELETE FROM {_PROGRESS} WHERE name = {ph}", (name,))
            conn.execute(
                f"INSERT INTO {_PROGRESS} (name, last, done) VALUES ({ph}, {ph}, {ph})",
                (name, json.dumps(after, default=str), done),
            )
        copied += len(out)
        if progress is not None:
            progress(name, copied, total)
    return total


def _verify(src: Any, dst: Any, name: str) -> str:
    """The checksum of *name*, the same on both sides (else a StorageError)."""
    cols = _columns_of(src, dst, name)
    meanings = _meanings(src, name)
    a, b = _count(src, name), _count(dst, name)
    if a != b:
        raise StorageError(f"copy check failed: {name} has {a} rows in the source, {b} copied")
    one, two = _checksum(src, name, cols, meanings), _checksum(dst, name, cols, meanings)
    if one != two:
        raise StorageError(f"copy check failed: the rows of {name} differ (checksum)")
    return one
