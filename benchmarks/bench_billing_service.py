"""Benchmark: a year of monthly billing through the billing service, against a raw-driver loop.

Ours: ``BillingService.run(first of the month, batch_size=B)`` for 12 months
over N retainers, on SQLite (a WAL file, ``synchronous=NORMAL``) or on
PostgreSQL: per batch of B retainers due, one unit of work that reads the
retainers, bills their period (full invoice documents: lines, tax,
idempotency keys), numbers them from the gapless sequence read once for the
batch, and writes the invoices, the retainers, the sequence and the domain
events. ``--batch-size 1`` times the one-unit-of-work-per-retainer path.

By hand: the same durable work written directly against the driver
(``sqlite3`` or ``psycopg``), the same batch size and the same rows: per
batch, one transaction that reads the retainer rows, computes each period
with ``relativedelta`` from the anchor, inserts a JSON invoice document and a
JSON ``invoice.issued`` event per retainer, updates each retainer with a
version check, and bumps the sequence once with a version check; no domain
objects. Both sides issue the same invoices with gapless numbers (asserted).
The ratio is the price of the domain model, the unit of work and the event
log over the bare minimum.

Run ``python benchmarks/bench_billing_service.py`` (2,000 retainers, SQLite
and, when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set, PostgreSQL), with
``--retainers 100000`` for the full run, or ``--quick`` (200) for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from relationship_core import BillingCycle, ManualClock, Money, Person, Retainer, RetainerTerms
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import open_store

MONTHS = 12
PG_ENV = "RELATIONSHIP_CORE_TEST_POSTGRES_DSN"


def fee(i: int) -> Decimal:
    return Decimal(1000 + i).scaleb(-2) * 100


def ours(url: str, count: int, batch: int) -> tuple[float, int, list[str]]:
    clock = ManualClock(datetime(2026, 1, 1, 6, tzinfo=UTC))
    with open_store(url, clock=clock) as crm:
        billing = BillingService(crm, business="bench")
        for first in range(0, count, 5000):
            with crm.unit_of_work() as uow:
                for i in range(first, min(count, first + 5000)):
                    uow.add(Person(id=f"P{i}", name=f"Client {i}"))  # retainers need their party
                    terms = RetainerTerms(
                        Money(fee(i), "EUR"),
                        BillingCycle.monthly(),
                        "Europe/Paris",
                        anchor=date(2026, 1, 1),
                        tax_rate="0.20",
                    )
                    uow.add(
                        Retainer.start(
                            f"R{i:06d}",
                            f"P{i}",
                            terms,
                            clock.now(),
                            starts_on=date(2026, 1, 1),
                            business=billing.business,
                        )
                    )
        issued = 0
        start = time.perf_counter()
        for month in range(1, MONTHS + 1):
            clock.set(datetime(2026, month, 1, 6, tzinfo=UTC))
            run = billing.run(date(2026, month, 1), orders=False, batch_size=batch)
            assert run.ok, run.failures
            issued += run.invoices_issued
        elapsed = time.perf_counter() - start
        numbers = sorted(i.number or "" for i in billing.invoices.iterate(batch=2000))
    return elapsed, issued, numbers


def by_hand(
    db: Any, ph: str, begin: Callable[[], object], count: int, batch: int
) -> tuple[float, int, list[str]]:
    """The raw loop on a DB-API connection in autocommit mode (*ph*: the placeholder)."""

    def sql(text: str) -> str:
        return text.replace("?", ph)

    db.execute(
        "CREATE TABLE retainer (id TEXT PRIMARY KEY, version INT, anchor TEXT, fee TEXT, "
        "next_period INT, next_billing_date TEXT)"
    )
    db.execute("CREATE INDEX retainer_due ON retainer(next_billing_date)")
    db.execute("CREATE TABLE invoice (id TEXT PRIMARY KEY, number TEXT, data TEXT)")
    db.execute("CREATE TABLE event (id TEXT PRIMARY KEY, type TEXT, aggregate TEXT, data TEXT)")
    db.execute("CREATE TABLE sequence (id TEXT PRIMARY KEY, version INT, last INT)")
    db.execute("INSERT INTO sequence VALUES ('bench', 1, 0)")
    cur = db.cursor()
    cur.executemany(
        sql("INSERT INTO retainer VALUES (?, 1, '2026-01-01', ?, 0, '2026-01-01')"),
        [(f"R{i:06d}", str(fee(i))) for i in range(count)],
    )
    issued = 0
    start = time.perf_counter()
    for month in range(1, MONTHS + 1):
        today = date(2026, month, 1).isoformat()
        due = [
            r
            for (r,) in db.execute(
                sql("SELECT id FROM retainer WHERE next_billing_date <= ? ORDER BY id"), (today,)
            ).fetchall()
        ]
        for first in range(0, len(due), batch):
            ids = due[first : first + batch]
            begin()
            marks = ", ".join([ph] * len(ids))
            rows = db.execute(
                f"SELECT id, version, anchor, fee, next_period FROM retainer WHERE id IN ({marks})",
                ids,
            ).fetchall()
            seq_version, last = db.execute(
                "SELECT version, last FROM sequence WHERE id = 'bench'"
            ).fetchone()
            invoices, events, updates = [], [], []
            for rid, version, anchor, net_text, k in sorted(rows):
                anchor_day = date.fromisoformat(anchor)
                start_on = anchor_day + relativedelta(months=k)
                end_on = anchor_day + relativedelta(months=k + 1)
                net = Decimal(net_text)
                tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
                last += 1
                number = f"INV-2026-{last:06d}"
                key = f"retainer:{rid}:{start_on.isoformat()}"
                data = {
                    "party_id": rid,
                    "lines": [{"from": start_on.isoformat(), "to": end_on.isoformat()}],
                    "net": str(net),
                    "tax": str(tax),
                    "total": str(net + tax),
                }
                invoices.append((key, number, json.dumps(data)))
                event = {"number": number, "total": str(net + tax), "issued_on": today}
                events.append((secrets.token_hex(13), "invoice.issued", key, json.dumps(event)))
                updates.append((k + 1, end_on.isoformat(), rid, version))
            cur.executemany(sql("INSERT INTO invoice VALUES (?, ?, ?)"), invoices)
            cur.executemany(sql("INSERT INTO event VALUES (?, ?, ?, ?)"), events)
            cur.executemany(
                sql(
                    "UPDATE retainer SET version = version + 1, next_period = ?, "
                    "next_billing_date = ? WHERE id = ? AND version = ?"
                ),
                updates,
            )
            bumped = db.execute(
                sql(
                    "UPDATE sequence SET version = version + 1, last = ? WHERE id = 'bench' AND version = ?"
                ),
                (last, seq_version),
            ).rowcount
            assert bumped == 1
            db.execute("COMMIT")
            issued += len(invoices)
    elapsed = time.perf_counter() - start
    numbers = sorted(n for (n,) in db.execute("SELECT number FROM invoice").fetchall())
    return elapsed, issued, numbers


def sqlite_pair(tmp: Path, count: int, batch: int) -> tuple[tuple[float, int, list[str]], ...]:
    mine = ours(f"sqlite:///{tmp / 'ours.db'}?synchronous=normal", count, batch)
    db = sqlite3.connect(tmp / "hand.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    try:
        hand = by_hand(db, "?", lambda: db.execute("BEGIN IMMEDIATE"), count, batch)
    finally:
        db.close()
    return mine, hand


@contextmanager
def pg_schema(dsn: str) -> Iterator[str]:
    import psycopg

    name = f"bench_billing_{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}_hand" CASCADE')


def postgres_pair(dsn: str, count: int, batch: int) -> tuple[tuple[float, int, list[str]], ...]:
    import psycopg

    with pg_schema(dsn) as schema:
        sep = "&" if "?" in dsn else "?"
        mine = ours(f"{dsn}{sep}schema={schema}", count, batch)
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(f'CREATE SCHEMA "{schema}_hand"')
            db.execute(f'SET search_path TO "{schema}_hand"')
            hand = by_hand(db, "%s", lambda: db.execute("BEGIN"), count, batch)
    return mine, hand


def report(
    name: str, count: int, batch: int, pair: tuple[tuple[float, int, list[str]], ...]
) -> None:
    (our_time, our_issued, our_numbers), (hand_time, hand_issued, hand_numbers) = pair
    invoices = count * MONTHS
    expected = [f"INV-2026-{n:06d}" for n in range(1, invoices + 1)]
    assert our_issued == hand_issued == invoices
    assert our_numbers == hand_numbers == expected
    print(f"{count} retainers x {MONTHS} months = {invoices} invoices on {name}, batch {batch}")
    print(f"{'':<34}{'seconds':>9}{'invoices/s':>12}")
    print(f"{'BillingService.run':<34}{our_time:>9.2f}{invoices / our_time:>12,.0f}")
    print(f"{'raw driver by hand':<34}{hand_time:>9.2f}{invoices / hand_time:>12,.0f}")
    print(f"ratio (ours / by hand): {our_time / hand_time:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 retainers (smoke run)")
    parser.add_argument("--retainers", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    count = 200 if args.quick else args.retainers
    batch = min(args.batch_size, 50) if args.quick else args.batch_size
    if args.backend in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory() as tmp:
            report("SQLite (WAL)", count, batch, sqlite_pair(Path(tmp), count, batch))
    dsn = os.environ.get(PG_ENV)
    if args.backend in {"postgresql", "both"}:
        if dsn:
            report("PostgreSQL", count, batch, postgres_pair(dsn, count, batch))
        else:
            print(f"PostgreSQL skipped: set {PG_ENV}")


if __name__ == "__main__":
    main()
