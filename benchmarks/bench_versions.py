"""Update benchmark: the cost of keeping old record versions (layout 6, ``rc_versions``).

Inserts N parties, then updates every one of them *rounds* times in batches
of 1,000 through the backend (each update copies the replaced version into
``rc_versions`` in the same transaction), next to the raw driver running the
same ``UPDATE`` statements by hand (no history), on SQLite and (given a DSN)
PostgreSQL. Prints seconds and the ratio.

    python benchmarks/bench_versions.py            # 20,000 parties, 3 rounds
    python benchmarks/bench_versions.py --quick    # 2,000 parties, for CI smoke runs
    python benchmarks/bench_versions.py --dsn postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_storage import BATCH, SCHEMA, parties

from relationship_core.plugins import Write, get_plugin_manager


def ours(url: str, rows: list[tuple[str, dict[str, Any], dict[str, Any]]], rounds: int) -> float:
    store = get_plugin_manager().open_backend(url, SCHEMA)
    try:
        for start in range(0, len(rows), BATCH):
            with store.transaction() as tx:
                tx.put_many([Write("party", r, d, i) for r, d, i in rows[start : start + BATCH]])
        began = time.perf_counter()
        for n in range(rounds):
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                with store.transaction() as tx:
                    tx.put_many(
                        [Write("party", r, {**d, "seats": n}, i, n + 1) for r, d, i in chunk]
                    )
        return time.perf_counter() - began
    finally:
        store.close()


def raw(path: Path, rows: list[tuple[str, dict[str, Any], dict[str, Any]]], rounds: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE party (id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
        "schema_version INTEGER NOT NULL, data TEXT NOT NULL, f_name TEXT, f_email TEXT, "
        "f_created_at TEXT)"
    )
    for start in range(0, len(rows), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO party VALUES (?, 1, 1, ?, ?, ?, ?)",
            [
                (r, json.dumps(d), i["name"], i["email"], i["created_at"].isoformat())
                for r, d, i in rows[start : start + BATCH]
            ],
        )
        conn.execute("COMMIT")
    began = time.perf_counter()
    for n in range(rounds):
        for start in range(0, len(rows), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE party SET version = version + 1, data = ?, f_name = ?, f_email = ?, "
                "f_created_at = ? WHERE id = ? AND version = ?",
                [
                    (
                        json.dumps({**d, "seats": n}),
                        i["name"],
                        i["email"],
                        i["created_at"].isoformat(),
                        r,
                        n + 1,
                    )
                    for r, d, i in rows[start : start + BATCH]
                ],
            )
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def raw_postgres(
    dsn: str, schema: str, rows: list[tuple[str, dict[str, Any], dict[str, Any]]], rounds: int
) -> float:
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(
            "CREATE TABLE party (id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
            "schema_version INTEGER NOT NULL, data JSON NOT NULL, f_name TEXT, f_email TEXT, "
            "f_created_at TIMESTAMPTZ)"
        )
        conn.commit()
        for start in range(0, len(rows), BATCH):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO party VALUES (%s, 1, 1, %s, %s, %s, %s)",
                    [
                        (r, json.dumps(d), i["name"], i["email"], i["created_at"])
                        for r, d, i in rows[start : start + BATCH]
                    ],
                )
            conn.commit()
        began = time.perf_counter()
        for n in range(rounds):
            for start in range(0, len(rows), BATCH):
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE party SET version = version + 1, data = %s, f_name = %s, "
                        "f_email = %s, f_created_at = %s WHERE id = %s AND version = %s",
                        [
                            (
                                json.dumps({**d, "seats": n}),
                                i["name"],
                                i["email"],
                                i["created_at"],
                                r,
                                n + 1,
                            )
                            for r, d, i in rows[start : start + BATCH]
                        ],
                    )
                conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.commit()
    return elapsed


def _show(title: str, n: int, rounds: int, mine: float, theirs: float) -> None:
    updates = n * rounds
    print(f"{title} updates ({n:,} parties x {rounds}, batches of {BATCH:,})")
    print(f"{'':<8}{'seconds':>9}{'updates/s':>12}")
    print(f"{'ours':<8}{mine:>9.3f}{updates / mine:>12,.0f}")
    print(f"{'raw':<8}{theirs:>9.3f}{updates / theirs:>12,.0f}")
    print(f"ratio ours / raw: {mine / theirs:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 parties instead of 20,000")
    parser.add_argument("-n", type=int, default=None, help="number of parties")
    parser.add_argument("--rounds", type=int, default=3, help="updates of every party")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN"),
        help="PostgreSQL DSN (also run there when given)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    n = args.n or (2_000 if args.quick else 20_000)
    rows = parties(n)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            mine = ours(f"sqlite:///{tmp}/ours.db", rows, args.rounds)
            theirs = raw(Path(tmp) / "raw.db", rows, args.rounds)
        _show("SQLite", n, args.rounds, mine, theirs)
    if args.only in (None, "postgres") and args.dsn:
        import psycopg

        tag = secrets.token_hex(3)
        sep = "&" if "?" in args.dsn else "?"
        try:
            mine = ours(f"{args.dsn}{sep}schema=bench_vours_{tag}", rows, args.rounds)
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "bench_vours_{tag}" CASCADE')
        theirs = raw_postgres(args.dsn, f"bench_vraw_{tag}", rows, args.rounds)
        _show("PostgreSQL", n, args.rounds, mine, theirs)


if __name__ == "__main__":
    main()
