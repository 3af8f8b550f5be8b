"""Benchmark: importing a CSV of parties with `import_csv`, against a hand-written sqlite3 loop.

Ours: ``import_csv(crm, file, "parties")`` on an SQLite file (WAL,
``synchronous=NORMAL``), batches of 500: the first pass parses and checks
every row (a `Person` built, duplicates in the file looked for), the second
parses again (files of up to 10,000 rows keep the drafts) and writes each
batch in one unit of work: the stored parties read by id and by e-mail, the new ones inserted with their indexed fields and
multi-valued index rows (e-mails, tags), the progress marker moved.

By hand: ``csv`` + ``executemany`` on the raw ``sqlite3`` driver, same pragmas,
same batch size, one ``BEGIN IMMEDIATE`` transaction per batch: one pass
reading each row (an e-mail checked by a regular expression), the stored
rows of the batch selected by id and their addresses in the e-mail index,
then the new party rows (a JSON document and its indexed columns), their
e-mail, tag and phone (E.164, by the library's `phone_key`) index rows and the
progress row inserted. Both sides store
the same number of parties and index rows (asserted).

PostgreSQL (``--dsn`` or ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN``): the same
on both sides in fresh schemas, by hand with psycopg 3 (``executemany``, one
transaction per batch, ``= ANY(%s)`` for the id and e-mail selects), the
server's ``synchronous_commit`` unchanged for both.

Run ``python benchmarks/bench_import.py`` (100,000 rows) or with
``--quick`` (5,000); ``--count N`` for another size; ``--only sqlite`` or
``--only postgres``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from relationship_core._app.facade import open_store
from relationship_core._app.search import search_key
from relationship_core._domain.phones import phone_key
from relationship_core.importing import import_csv

BATCH = 500
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "name", "email", "phone", "tags"])
        for i in range(count):
            tags = "vip;retail" if i % 5 == 0 else ""
            writer.writerow([i, f"Customer {i}", f"c{i}@example.com", f"+44 20 {i:07d}", tags])


def _timed(url: str, file: Path) -> float:
    with open_store(url) as crm:
        started = time.perf_counter()
        report = import_csv(crm, file, "parties", batch_size=BATCH)
        seconds = time.perf_counter() - started
    assert report.created == report.rows
    return seconds


def ours(db: Path, file: Path) -> tuple[float, dict[str, int]]:
    seconds = _timed(f"sqlite:///{db}?synchronous=normal", file)
    conn = sqlite3.connect(db)
    counts = {
        "parties": conn.execute("SELECT count(*) FROM rc_rec_party").fetchone()[0],
        "index rows": conn.execute("SELECT count(*) FROM rc_multi").fetchone()[0],
    }
    conn.close()
    return seconds, counts


def ours_postgres(dsn: str, schema: str, file: Path) -> tuple[float, dict[str, int]]:
    import psycopg

    sep = "&" if "?" in dsn else "?"
    try:
        seconds = _timed(f"{dsn}{sep}schema={schema}", file)
        with psycopg.connect(dsn, autocommit=True) as conn:
            counts = {
                table: conn.execute(f'SELECT count(*) FROM "{schema}".{name}').fetchone()[0]  # type: ignore[index]
                for table, name in (("parties", "rc_rec_party"), ("index rows", "rc_multi"))
            }
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return seconds, counts


_SCHEMA = """
CREATE TABLE party (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    party_kind TEXT, name TEXT, email TEXT, name_key TEXT, emails TEXT, tags TEXT, phones TEXT);
CREATE INDEX party_kind_ix ON party (party_kind, id);
CREATE INDEX party_name_ix ON party (name, id);
CREATE INDEX party_email_ix ON party (email, id);
CREATE INDEX party_name_key_ix ON party (name_key, id);
CREATE TABLE multi (field TEXT NOT NULL, value TEXT NOT NULL, record_id TEXT NOT NULL,
    PRIMARY KEY (field, value, record_id));
CREATE TABLE position (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


def _batches(file: Path) -> Iterator[tuple[list[list[str]], int]]:
    """The by-hand side's one pass: each row checked, in batches, with the rows done so far."""
    with file.open(encoding="utf-8", newline="") as rows:
        reader = csv.reader(rows)
        next(reader)
        batch: list[list[str]] = []
        done = 0
        for row in reader:
            if not row[1] or not _EMAIL.match(row[2]):
                raise SystemExit(f"bad row {row}")
            batch.append(row)
            done += 1
            if len(batch) == BATCH:
                yield batch, done
                batch = []
        if batch:
            yield batch, done


#: ``(column, values)`` to a condition and its parameters: ``IN (?, …)`` or ``= ANY(%s)``.
AnyOf = Callable[[str, list[str]], tuple[str, Sequence[object]]]


def _in_list(column: str, values: list[str]) -> tuple[str, Sequence[object]]:
    return f"{column} IN ({','.join('?' * len(values))})", values


def _any_array(column: str, values: list[str]) -> tuple[str, Sequence[object]]:
    return f"{column} = ANY(%s)", (values,)


def _write_batch(db: Any, ph: str, any_of: AnyOf, batch: list[list[str]], done: int) -> None:
    """One batch by hand, inside the caller's transaction: the two selects, the inserts, the marker.

    *db* is an sqlite3 connection or a psycopg cursor (both ``execute`` and
    ``executemany``); *ph* is the driver's placeholder.
    """
    ids = [f"csv:{row[0]}" for row in batch]
    where, params = any_of("id", ids)
    stored = {r[0] for r in db.execute(f"SELECT id FROM party WHERE {where}", params).fetchall()}
    where, params = any_of("value", [row[2].lower() for row in batch])
    db.execute(f"SELECT record_id FROM multi WHERE field = 'emails' AND {where}", params).fetchall()
    parties, multi = _rows(batch, ids, stored)
    db.executemany(f"INSERT INTO party VALUES ({', '.join([ph] * 10)})", parties)
    db.executemany(f"INSERT INTO multi VALUES ({ph}, {ph}, {ph})", multi)
    db.execute(
        f"INSERT INTO position VALUES ('import', {ph}) "
        "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
        (done,),
    )


def by_hand(db: Path, file: Path) -> tuple[float, dict[str, int]]:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    started = time.perf_counter()
    for batch, done in _batches(file):
        conn.execute("BEGIN IMMEDIATE")
        _write_batch(conn, "?", _in_list, batch, done)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    counts = {
        "parties": conn.execute("SELECT count(*) FROM party").fetchone()[0],
        "index rows": conn.execute("SELECT count(*) FROM multi").fetchone()[0],
    }
    conn.close()
    return seconds, counts


def _rows(
    batch: list[list[str]], ids: list[str], stored: set[str]
) -> tuple[list[tuple[object, ...]], list[tuple[str, str, str]]]:
    parties: list[tuple[object, ...]] = []
    multi: list[tuple[str, str, str]] = []
    for rid, row in zip(ids, batch, strict=True):
        if rid in stored:
            continue
        tags = sorted(t.strip().lower() for t in row[4].split(";") if t.strip())
        doc: dict[str, object] = {"kind": "person", "id": rid, "name": row[1], "emails": [row[2]],
               "time_zone": "UTC", "tags": tags, "custom_fields": {}, "locale": None,
               "phone": row[3] or None}  # fmt: skip
        # The phone index holds the number in E.164, as the store's party kind does.
        phones = [key] if (key := phone_key(row[3])) else []
        parties.append((rid, 1, json.dumps(doc), "person", row[1], row[2],
                        search_key(row[1]), json.dumps([row[2]]), json.dumps(tags),
                        json.dumps(phones)))  # fmt: skip
        multi.append(("emails", row[2].lower(), rid))
        multi.extend(("tags", tag, rid) for tag in tags)
        multi.extend(("phones", phone, rid) for phone in phones)
    return parties, multi


def by_hand_postgres(dsn: str, schema: str, file: Path) -> tuple[float, dict[str, int]]:
    """The same work as `by_hand`, with psycopg 3 on PostgreSQL."""
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    for statement in _SCHEMA.replace("TEXT", 'TEXT COLLATE "C"').split(";"):
        if statement.strip():
            conn.execute(statement)
    started = time.perf_counter()
    try:
        for batch, done in _batches(file):
            with conn.transaction(), conn.cursor() as cur:
                _write_batch(cur, "%s", _any_array, batch, done)
        seconds = time.perf_counter() - started
        counts = {
            "parties": conn.execute("SELECT count(*) FROM party").fetchone()[0],  # type: ignore[index]
            "index rows": conn.execute("SELECT count(*) FROM multi").fetchone()[0],  # type: ignore[index]
        }
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
    return seconds, counts


def _report(title: str, count: int, our: float, hand: float, counts: dict[str, int]) -> None:
    print(f"{count:,} CSV rows of parties on {title}, batches of {BATCH}")
    print(f"stored: {counts}")
    print(f"{'':<34}{'seconds':>9}{'rows/s':>12}")
    print(f"{'import_csv (two passes)':<34}{our:>9.2f}{count / our:>12,.0f}")
    print(f"{'by hand':<34}{hand:>9.2f}{count / hand:>12,.0f}")
    print(f"ratio (ours / by hand): {our / hand:.2f}x")


Side = Callable[[], tuple[float, dict[str, int]]]


def _compare(title: str, count: int, hand_side: Side, our_side: Side) -> None:
    """Run both sides (by hand first), check they stored the same rows, and report."""
    hand, hand_counts = hand_side()
    our, our_counts = our_side()
    if our_counts != hand_counts:
        raise SystemExit(f"the two sides disagree: ours {our_counts}, by hand {hand_counts}")
    _report(title, count, our, hand, our_counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows, a smoke run")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument(
        "--dsn", default=os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN"), help="PostgreSQL"
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    count = args.count or (5_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "parties.csv"
        _file(file, count)
        if args.only in (None, "sqlite"):
            _compare(
                "SQLite (WAL, synchronous=NORMAL; by hand: csv + sqlite3 executemany)",
                count,
                lambda: by_hand(Path(tmp) / "hand.db", file),
                lambda: ours(Path(tmp) / "ours.db", file),
            )
        if args.only in (None, "postgres"):
            if not args.dsn:
                print("PostgreSQL: skipped (give --dsn or set RELATIONSHIP_CORE_TEST_POSTGRES_DSN)")
                return
            tag = secrets.token_hex(3)
            _compare(
                "PostgreSQL (by hand: csv + psycopg 3 executemany)",
                count,
                lambda: by_hand_postgres(args.dsn, f"bench_imp_raw_{tag}", file),
                lambda: ours_postgres(args.dsn, f"bench_imp_ours_{tag}", file),
            )


if __name__ == "__main__":
    main()
