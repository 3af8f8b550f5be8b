"""Benchmark: a year of monthly billing through the billing service on SQLite, against raw sqlite3.

Ours: ``BillingService.run(first of the month)`` for 12 months over N retainers
on an SQLite file: per retainer due, one unit of work that reads the retainer,
bills the period (full invoice documents: lines, tax, idempotency keys),
numbers it from the gapless sequence read in the same transaction, and writes
the invoice, the retainer, the sequence and the domain events.

By hand: the same transactional shape written directly against ``sqlite3``
(same WAL mode and ``synchronous=NORMAL`` on both sides; one transaction per retainer and month: read the retainer row, compute the
period with ``relativedelta`` from the anchor, insert a JSON invoice, update the
retainer with a version check, bump the sequence), with no domain objects or
events. Both sides issue the same number of invoices with gapless numbers
(asserted). The ratio is the price of the domain model, the unit of work and
the event log over the bare minimum.

Run ``python benchmarks/bench_billing_service.py`` (2,000 retainers) or with
``--quick`` (200) for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta

from relationship_core import BillingCycle, ManualClock, Money, Person, Retainer, RetainerTerms
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import open_store

MONTHS = 12


def ours(path: Path, count: int) -> tuple[float, int, list[str]]:
    clock = ManualClock(datetime(2026, 1, 1, 6, tzinfo=UTC))
    with open_store(f"sqlite:///{path}?synchronous=normal", clock=clock) as crm:
        billing = BillingService(crm, business="bench")
        with crm.unit_of_work() as uow:
            for i in range(count):
                uow.add(Person(id=f"P{i}", name=f"Client {i}"))  # retainers reference their party
                terms = RetainerTerms(
                    Money(Decimal(1000 + i).scaleb(-2) * 100, "EUR"),
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
            issued += billing.run(date(2026, month, 1), orders=False).invoices_issued
        elapsed = time.perf_counter() - start
        numbers = sorted(i.number or "" for i in billing.invoices.iterate(batch=2000))
    return elapsed, issued, numbers


def by_hand(path: Path, count: int) -> tuple[float, int, list[str]]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE retainer (id TEXT PRIMARY KEY, version INT, anchor TEXT, fee TEXT, "
        "next_period INT, next_billing_date TEXT)"
    )
    db.execute("CREATE INDEX retainer_due ON retainer(next_billing_date)")
    db.execute("CREATE TABLE invoice (id TEXT PRIMARY KEY, number TEXT, data TEXT)")
    db.execute("CREATE TABLE sequence (id TEXT PRIMARY KEY, version INT, last INT)")
    db.execute("INSERT INTO sequence VALUES ('bench', 1, 0)")
    db.executemany(
        "INSERT INTO retainer VALUES (?, 1, '2026-01-01', ?, 0, '2026-01-01')",
        [(f"R{i:06d}", str(Decimal(1000 + i).scaleb(-2) * 100)) for i in range(count)],
    )
    issued = 0
    start = time.perf_counter()
    for month in range(1, MONTHS + 1):
        today = date(2026, month, 1).isoformat()
        due = [
            r
            for (r,) in db.execute("SELECT id FROM retainer WHERE next_billing_date <= ?", (today,))
        ]
        for rid in due:
            db.execute("BEGIN IMMEDIATE")
            version, anchor, fee, k = db.execute(
                "SELECT version, anchor, fee, next_period FROM retainer WHERE id = ?", (rid,)
            ).fetchone()
            first = date.fromisoformat(anchor)
            begin, end = first + relativedelta(months=k), first + relativedelta(months=k + 1)
            net = Decimal(fee)
            tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
            seq_version, last = db.execute(
                "SELECT version, last FROM sequence WHERE id = 'bench'"
            ).fetchone()
            number = f"INV-2026-{last + 1:06d}"
            data = {
                "party_id": rid,
                "lines": [{"from": begin.isoformat(), "to": end.isoformat(), "net": str(net)}],
                "tax": str(tax),
                "total": str(net + tax),
            }
            db.execute(
                "INSERT INTO invoice VALUES (?, ?, ?)",
                (f"retainer:{rid}:{begin.isoformat()}", number, json.dumps(data)),
            )
            updated = db.execute(
                "UPDATE retainer SET version = version + 1, next_period = ?, next_billing_date = ? "
                "WHERE id = ? AND version = ?",
                (k + 1, end.isoformat(), rid, version),
            ).rowcount
            bumped = db.execute(
                "UPDATE sequence SET version = version + 1, last = ? WHERE id = 'bench' AND version = ?",
                (last + 1, seq_version),
            ).rowcount
            assert updated == bumped == 1
            db.execute("COMMIT")
            issued += 1
    elapsed = time.perf_counter() - start
    numbers = sorted(n for (n,) in db.execute("SELECT number FROM invoice"))
    db.close()
    return elapsed, issued, numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 retainers (smoke run)")
    parser.add_argument("--retainers", type=int, default=2000)
    args = parser.parse_args()
    count = 200 if args.quick else args.retainers
    with tempfile.TemporaryDirectory() as tmp:
        our_time, our_issued, our_numbers = ours(Path(tmp) / "ours.db", count)
        hand_time, hand_issued, hand_numbers = by_hand(Path(tmp) / "hand.db", count)
    expected = [f"INV-2026-{n:06d}" for n in range(1, count * MONTHS + 1)]
    assert our_issued == hand_issued == count * MONTHS
    assert our_numbers == hand_numbers == expected
    invoices = count * MONTHS
    print(f"{count} retainers x {MONTHS} months = {invoices} invoices on SQLite (WAL)")
    print(f"{'':<34}{'seconds':>9}{'invoices/s':>12}")
    print(f"{'BillingService.run':<34}{our_time:>9.2f}{invoices / our_time:>12,.0f}")
    print(f"{'raw sqlite3 by hand':<34}{hand_time:>9.2f}{invoices / hand_time:>12,.0f}")
    print(f"ratio (ours / by hand): {our_time / hand_time:.2f}x")


if __name__ == "__main__":
    main()
