"""Reports benchmark: the weighted pipeline report against hand-written SQL on the raw driver.

N open and closed opportunities are stored once (through the store, batches of
5,000); then, side by side on the same table, we time

* ours: ``pipeline_report(crm, period)`` — one aggregate statement through the
  store, grouped by pipeline, stage, owner and currency, turned into ``Money``;
* raw: the same ``SELECT ... SUM ... GROUP BY`` typed by hand on sqlite3 /
  psycopg, its sums turned into ``Decimal``.

Both give the same figures (checked). Prints the best of 5 (the two sides taking
turns) and the ratio ours / raw.

    python benchmarks/bench_reports.py            # 1,000,000 opportunities
    python benchmarks/bench_reports.py --quick    # 20,000, for CI smoke runs
    python benchmarks/bench_reports.py --dsn postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import relationship_core as rc
from relationship_core import Money, Opportunity
from relationship_core._storage.contract import Write
from relationship_core.reports import pipeline_report

BATCH = 5_000
NOW = datetime(2026, 3, 15, tzinfo=UTC)
PERIOD = rc.Period(date(2026, 4, 1), date(2026, 6, 30))
STAGES = ("prospecting", "qualification", "proposal", "negotiation")
OWNERS = tuple(f"rep{n}" for n in range(20))
SQL = (
    "SELECT f_pipeline, f_stage, f_owner, f_amount_currency, COUNT(*), SUM(f_amount_amount), "
    "SUM(f_weighted) FROM {table} WHERE f_status = {ph} AND f_expected_close >= {ph} "
    "AND f_expected_close <= {ph} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)


def load(crm: rc.CRM, n: int) -> None:
    """N deals: a template document, varied indexed values (what the aggregate reads)."""
    rng = random.Random(7)
    mapping = crm.repository(Opportunity).mapping
    party = crm.parties.add(rc.Person(name="Ada")).id
    templates = {}
    for stage in STAGES:
        deal = Opportunity.open(
            party_id=party,
            title="t",
            owner="x",
            amount=Money("1", "EUR"),
            expected_close=PERIOD.start,
            at=NOW,
            stage=stage,
            id="t",
        )
        templates[stage] = mapping.to_write(deal, None)
    backend = crm.backend
    for start in range(0, n, BATCH):
        writes = []
        for i in range(start, min(n, start + BATCH)):
            stage = rng.choice(STAGES)
            template = templates[stage]
            cents = rng.randrange(100, 10_000_000)
            amount = Decimal(cents) / 100
            currency = "EUR" if i % 3 else "USD"
            prob = {
                "prospecting": "0.1",
                "qualification": "0.2",
                "proposal": "0.5",
                "negotiation": "0.8",
            }[stage]
            indexed = {
                **template.indexed,
                "owner": rng.choice(OWNERS),
                "expected_close": date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
                "status": "open" if i % 10 else "won",
                "currency": currency,
                "amount_amount": amount,
                "amount_currency": currency,
                "weighted": (amount * Decimal(prob)).quantize(Decimal("0.000001")),
            }
            writes.append(
                Write("opportunity", f"d{i}", template.data, indexed, None, template.schema_version)
            )
        with backend.transaction() as tx:
            tx.put_many(writes)


def best_pair(
    ours: Callable[[], object], raw: Callable[[], object], runs: int = 5
) -> tuple[float, float]:
    """Best of *runs* for each side, the two taking turns (load on the machine hits both)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for side, fn in zip(times, (ours, raw), strict=True):
            t0 = time.perf_counter()
            fn()
            side.append(time.perf_counter() - t0)
    return min(times[0]), min(times[1])


def ours_rows(crm: rc.CRM) -> list[tuple[Any, ...]]:
    report = pipeline_report(crm, PERIOD)
    return [
        (*r.group, r.currency, r.count, r.unweighted.amount, r.weighted.amount) for r in report.rows
    ]


def line(title: str, mine: float, raw: float, n: int) -> None:
    print(f"{title:<32}{n:>11,}{mine:>10.3f}{raw:>10.3f}{mine / raw:>7.2f}x")


def bench_sqlite(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/crm.db"
        with rc.open(f"sqlite:///{path}", clock=rc.ManualClock(NOW)) as crm:
            load(crm, n)
            conn = sqlite3.connect(path)
            sql = SQL.format(table="rc_rec_opportunity", ph="?")
            args = ("open", PERIOD.start.isoformat(), PERIOD.end.isoformat())
            million = Decimal(1_000_000)

            def raw() -> list[tuple[Any, ...]]:
                return [
                    (p, s, o, c, k, Decimal(a) / million, Decimal(w) / million)
                    for p, s, o, c, k, a, w in conn.execute(sql, args)
                ]

            assert ours_rows(crm) == raw(), "the figures differ"
            line("SQLite weighted pipeline", *best_pair(lambda: ours_rows(crm), raw), n)
            conn.close()


def bench_postgres(dsn: str, n: int) -> None:
    import psycopg

    schema = f"bench_reports_{secrets.token_hex(3)}"
    sep = "&" if "?" in dsn else "?"
    try:
        with rc.open(f"{dsn}{sep}schema={schema}", clock=rc.ManualClock(NOW)) as crm:
            load(crm, n)
            # Autocommit, like the store's pool: the ANALYZE is committed, so both sides
            # plan with the same statistics (an open transaction kept them from the store).
            with psycopg.connect(dsn, autocommit=True) as conn:
                table = f'"{schema}".rc_rec_opportunity'
                conn.execute(f"ANALYZE {table}")
                sql = SQL.format(table=table, ph="%s")
                args = ("open", PERIOD.start, PERIOD.end)

                def raw() -> list[tuple[Any, ...]]:
                    return list(conn.execute(sql, args).fetchall())

                assert ours_rows(crm) == raw(), "the figures differ"
                line("PostgreSQL weighted pipeline", *best_pair(lambda: ours_rows(crm), raw), n)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 deals instead of 1,000,000")
    parser.add_argument("-n", type=int, default=None, help="number of deals")
    parser.add_argument("--dsn", default=os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN"))
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    n = args.n or (20_000 if args.quick else 1_000_000)
    print(f"{'report':<32}{'records':>11}{'ours (s)':>10}{'raw (s)':>10}{'ratio':>8}")
    if args.only in (None, "sqlite"):
        bench_sqlite(n)
    if args.only in (None, "postgres"):
        if args.dsn:
            bench_postgres(args.dsn, n)
        else:
            print("PostgreSQL: skipped (give --dsn or set RELATIONSHIP_CORE_TEST_POSTGRES_DSN)")


if __name__ == "__main__":
    main()
