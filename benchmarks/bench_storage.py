"""Storage benchmark: our backends against the raw driver doing the same work by hand.

For SQLite and PostgreSQL, side by side in one run:

* bulk insert of N parties (realistic JSON documents) in batches of 1,000;
* N point reads by id, one call each;
* an indexed range query over ``created_at`` (about 10% of rows), paged 1,000 at a time.

The raw side uses the same table layout, the same JSON text and the same
durability settings (SQLite: WAL, synchronous=FULL), and decodes the JSON it
reads, as an application would. Prints seconds and the ratio ours / raw.

    python benchmarks/bench_storage.py            # 100,000 parties
    python benchmarks/bench_storage.py --quick    # 10,000, for CI smoke runs
    python benchmarks/bench_storage.py --dsn postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relationship_core.plugins import (
    KindSpec,
    Query,
    Schema,
    StorageBackend,
    Write,
    get_plugin_manager,
)

SCHEMA = Schema([KindSpec("party", {"name": "str", "email": "str?", "created_at": "datetime"})])
BATCH = 1_000
T0 = datetime(2020, 1, 1, tzinfo=UTC)
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]


def parties(n: int, seed: int = 7) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(id, document, indexed)`` for *n* parties, like the serialiser writes them."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        email = f"{name.lower().replace(' ', '.')}@example.com"
        created = T0 + timedelta(minutes=rng.randrange(0, 5 * 365 * 24 * 60))
        doc: dict[str, Any] = {
            "kind": "person",
            "id": f"P{i:08d}",
            "name": name,
            "emails": [email],
            "time_zone": rng.choice(["Europe/London", "America/New_York", "Asia/Tokyo"]),
            "tags": sorted(rng.sample(["vip", "newsletter", "b2b", "churn-risk", "trial"], 2)),
            "custom_fields": {
                "segment": rng.choice(["smb", "mid", "enterprise"]),
                "seats": rng.randint(1, 500),
            },
            "phone": f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            "created_at": created.isoformat(),
        }
        indexed: dict[str, Any] = {"name": name, "email": email, "created_at": created}
        out.append((f"P{i:08d}", doc, indexed))
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- ours ------------------------------------------------------------------------------


def ours(
    store: StorageBackend,
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
    lo: datetime,
    hi: datetime,
) -> dict[str, float]:
    def insert() -> None:
        for start in range(0, len(rows), BATCH):
            with store.transaction() as tx:
                tx.put_many(
                    [Write("party", rid, doc, idx) for rid, doc, idx in rows[start : start + BATCH]]
                )

    ids = [rid for rid, _, _ in rows]
    random.Random(1).shuffle(ids)

    def read() -> None:
        for rid in ids:
            store.get_many("party", [rid])

    def scan() -> int:
        count, after = 0, None
        while True:
            page = store.query(
                Query(
                    "party",
                    [("created_at", "ge", lo), ("created_at", "lt", hi)],
                    "created_at",
                    limit=BATCH,
                    after=after,
                )
            )
            count += len(page.records)
            if page.next_cursor is None:
                return count
            after = page.next_cursor

    result = {"insert": timed(insert), "point reads": timed(read)}
    result["range query"] = timed(scan)
    result["rows in range"] = float(scan())
    return result


# -- raw sqlite3 -----------------------------------------------------------------------


def raw_sqlite(
    path: Path, rows: list[tuple[str, dict[str, Any], dict[str, Any]]], lo: datetime, hi: datetime
) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE party (id TEXT PRIMARY KEY, version INTEGER NOT NULL, schema_version INTEGER NOT NULL, "
        "data TEXT NOT NULL, f_name TEXT, f_email TEXT, f_created_at TEXT)"
    )
    for col in ("f_name", "f_email", "f_created_at"):
        conn.execute(f"CREATE INDEX ix_{col} ON party ({col}, id)")
    fmt = "%Y-%m-%dT%H:%M:%S.%f+00:00"

    def insert() -> None:
        for start in range(0, len(rows), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO party VALUES (?, 1, 1, ?, ?, ?, ?)",
                [
                    (
                        rid,
                        json.dumps(doc, separators=(",", ":")),
                        idx["name"],
                        idx["email"],
                        idx["created_at"].strftime(fmt),
                    )
                    for rid, doc, idx in rows[start : start + BATCH]
                ],
            )
            conn.execute("COMMIT")

    ids = [rid for rid, _, _ in rows]
    random.Random(1).shuffle(ids)

    def read() -> None:
        for rid in ids:
            row = conn.execute(
                "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party WHERE id = ?",
                (rid,),
            ).fetchone()
            json.loads(row[3])

    def scan() -> None:
        last: tuple[str, str] | None = None
        while True:
            if last is None:
                cur = conn.execute(
                    "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party "
                    "WHERE f_created_at >= ? AND f_created_at < ? ORDER BY f_created_at, id LIMIT ?",
                    (lo.strftime(fmt), hi.strftime(fmt), BATCH),
                )
            else:
                cur = conn.execute(
                    "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party "
                    "WHERE f_created_at >= ? AND f_created_at < ? AND (f_created_at, id) > (?, ?) "
                    "ORDER BY f_created_at, id LIMIT ?",
                    (lo.strftime(fmt), hi.strftime(fmt), *last, BATCH),
                )
            page = cur.fetchall()
            for row in page:
                json.loads(row[3])
            if len(page) < BATCH:
                return
            last = (page[-1][6], page[-1][0])

    result = {"insert": timed(insert), "point reads": timed(read), "range query": timed(scan)}
    conn.close()
    return result


# -- raw psycopg -----------------------------------------------------------------------


def raw_postgres(
    dsn: str,
    schema: str,
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
    lo: datetime,
    hi: datetime,
) -> dict[str, float]:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    conn.execute(
        'CREATE TABLE party (id TEXT COLLATE "C" PRIMARY KEY, version INTEGER NOT NULL, '
        'schema_version INTEGER NOT NULL, data JSON NOT NULL, f_name TEXT COLLATE "C", '
        'f_email TEXT COLLATE "C", f_created_at TIMESTAMPTZ)'
    )
    for col in ("f_name", "f_email", "f_created_at"):
        conn.execute(f"CREATE INDEX ix_{col} ON party ({col}, id)")

    def insert() -> None:
        for start in range(0, len(rows), BATCH):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO party VALUES (%s, 1, 1, %s, %s, %s, %s)",
                    [
                        (
                            rid,
                            json.dumps(doc, separators=(",", ":")),
                            idx["name"],
                            idx["email"],
                            idx["created_at"],
                        )
                        for rid, doc, idx in rows[start : start + BATCH]
                    ],
                )

    ids = [rid for rid, _, _ in rows]
    random.Random(1).shuffle(ids)

    def read() -> None:
        for rid in ids:
            conn.execute(
                "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party WHERE id = %s",
                (rid,),
            ).fetchone()

    def scan() -> None:
        last: tuple[Any, str] | None = None
        while True:
            if last is None:
                page = conn.execute(
                    "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party "
                    "WHERE f_created_at >= %s AND f_created_at < %s ORDER BY f_created_at, id LIMIT %s",
                    (lo, hi, BATCH),
                ).fetchall()
            else:
                page = conn.execute(
                    "SELECT id, version, schema_version, data, f_name, f_email, f_created_at FROM party "
                    "WHERE f_created_at >= %s AND f_created_at < %s AND (f_created_at, id) > (%s, %s) "
                    "ORDER BY f_created_at, id LIMIT %s",
                    (lo, hi, *last, BATCH),
                ).fetchall()
            if len(page) < BATCH:
                return
            last = (page[-1][6], page[-1][0])

    result = {"insert": timed(insert), "point reads": timed(read), "range query": timed(scan)}
    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    conn.close()
    return result


def report(title: str, mine: dict[str, float], raw: dict[str, float], n: int) -> list[str]:
    lines = [f"\n{title}  (n = {n:,}; range query returns {int(mine['rows in range']):,} rows)"]
    lines.append(f"{'operation':<14}{'ours (s)':>11}{'raw (s)':>11}{'ratio':>8}{'ours/s':>12}")
    for op in ("insert", "point reads", "range query"):
        rate = n / mine[op] if op != "range query" else mine["rows in range"] / mine[op]
        lines.append(
            f"{op:<14}{mine[op]:>11.3f}{raw[op]:>11.3f}{mine[op] / raw[op]:>7.2f}x{rate:>12,.0f}"
        )
    print("\n".join(lines))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 parties instead of 100,000")
    parser.add_argument("-n", type=int, default=None, help="number of parties")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN"),
        help="PostgreSQL DSN",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    rows = parties(n)
    stamps = sorted(idx["created_at"] for _, _, idx in rows)
    lo, hi = stamps[int(n * 0.45)], stamps[int(n * 0.55)]
    manager = get_plugin_manager()

    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            store = manager.open_backend(f"sqlite:///{tmp}/ours.db", SCHEMA)
            mine = ours(store, rows, lo, hi)
            store.close()
            raw = raw_sqlite(Path(tmp) / "raw.db", rows, lo, hi)
        report("SQLite (sqlite3, WAL, synchronous=FULL)", mine, raw, n)

    if args.only in (None, "postgres"):
        if not args.dsn:
            print("\nPostgreSQL: skipped (give --dsn or set RELATIONSHIP_CORE_TEST_POSTGRES_DSN)")
            return
        tag = secrets.token_hex(3)
        sep = "&" if "?" in args.dsn else "?"
        store = manager.open_backend(f"{args.dsn}{sep}schema=bench_ours_{tag}", SCHEMA)
        try:
            mine = ours(store, rows, lo, hi)
        finally:
            store.close()
            import psycopg

            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "bench_ours_{tag}" CASCADE')
        raw = raw_postgres(args.dsn, f"bench_raw_{tag}", rows, lo, hi)
        report("PostgreSQL (psycopg 3, executemany, one connection)", mine, raw, n)


if __name__ == "__main__":
    main()
