"""Reports benchmark: the reports over many records against hand-written SQL on the raw driver.

N open and closed opportunities and N CSAT surveys are stored once (through
the store, batches of 5,000); then, side by side on the same tables, we time
the weighted pipeline, the sales report (closed deals per rep, two
statements) and the CSAT report (answers per team and score, one statement
a month for three months). For the pipeline:

* ours: ``pipeline_report(crm, period)`` — one aggregate statement through the
  store, grouped by pipeline, stage, owner and currency, turned into ``Money``;
* raw: the same ``SELECT ... SUM ... GROUP BY`` typed by hand on sqlite3 /
  psycopg, its sums turned into ``Decimal``.

The other two likewise: ``sales_report(crm)`` / ``csat_report(crm, months=3)``
against the same ``GROUP BY`` statements typed by hand, their rows built into
the same tuples. Both sides give the same figures (checked). Prints the best of
5 (the two sides taking turns) and the ratio ours / raw.

    python benchmarks/bench_reports.py            # 1,000,000 deals and 1,000,000 surveys
    python benchmarks/bench_reports.py --quick    # 20,000 each, for CI smoke runs
    python benchmarks/bench_reports.py --dsn postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import itertools
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
from relationship_core._support.csat import Survey
from relationship_core.reports import csat_report, pipeline_report, sales_report

BATCH = 5_000
NOW = datetime(2026, 3, 15, tzinfo=UTC)
PERIOD = rc.Period(date(2026, 4, 1), date(2026, 6, 30))
STAGES = ("prospecting", "qualification", "proposal", "negotiation")
OWNERS = tuple(f"rep{n}" for n in range(20))
TEAMS = tuple(f"team{n}" for n in range(8))
QUARTER = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
MONTHS = [datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3, 4)]
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
            status = "won" if i % 10 == 0 else "lost" if i % 10 == 1 else "open"
            closed = None
            if status != "open":
                closed = QUARTER[0] + timedelta(seconds=rng.randrange(80 * 86400))
            opened = (closed or NOW) - timedelta(seconds=rng.randrange(1, 120 * 86400))
            indexed = {
                **template.indexed,
                "owner": rng.choice(OWNERS),
                "expected_close": date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
                "status": status,
                "opened_at": opened,
                "closed_at": closed,
                "cycle_seconds": None if closed is None else int((closed - opened).total_seconds()),
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


def load_surveys(crm: rc.CRM, n: int) -> None:
    """N surveys, 80 % answered from January to mid-March, over 8 teams and 40 agents."""
    rng = random.Random(11)
    party = crm.parties.add(rc.Person(name="Bea")).id
    mapping = crm.repository(Survey).mapping
    survey = Survey(id="s", ticket_id="t", sent_at=NOW, expires_at=NOW + timedelta(days=14))
    template = mapping.to_write(survey, None)
    for start in range(0, n, BATCH):
        writes = []
        for i in range(start, min(n, start + BATCH)):
            answered = i % 5 != 0
            at = QUARTER[0] + timedelta(seconds=rng.randrange(73 * 86400))
            indexed = {
                **template.indexed,
                "party_id": party,
                "answered": answered,
                "score": rng.randrange(1, 6) if answered else None,
                "answered_at": at if answered else None,
                "team": rng.choice(TEAMS),
                "agent": f"agent{rng.randrange(40)}",
                "product": None,
            }
            writes.append(
                Write("survey", f"s{i}", template.data, indexed, None, template.schema_version)
            )
        with crm.backend.transaction() as tx:
            tx.put_many(writes)


def ours_sales(crm: rc.CRM) -> list[tuple[Any, ...]]:
    return [
        (
            r.owner,
            r.won,
            r.lost,
            tuple(m.amount for m in r.revenue_won),
            r.cycle_deals,
            r.average_cycle,
        )
        for r in sales_report(crm).rows
    ]


def sales_rows(counts: Any, cycles: Any) -> list[tuple[Any, ...]]:
    """The raw side's rows: per owner won, lost, revenue per currency, cycle deals, mean."""
    per: dict[str, dict[str, Any]] = {}
    for owner, status, _currency, count, total in counts:
        row = per.setdefault(owner, {"won": 0, "lost": 0, "revenue": []})
        row[status] += count
        if status == "won":
            row["revenue"].append(Decimal(total).quantize(Decimal("0.01")))
    known = {owner: (count, seconds) for owner, count, seconds in cycles}
    out = []
    for owner in sorted(per):
        count, seconds = known.get(owner, (0, 0))
        mean = timedelta(seconds=int(seconds) / count) if count else None
        row = per[owner]
        out.append((owner, row["won"], row["lost"], tuple(row["revenue"]), count, mean))
    return out


def ours_csat(crm: rc.CRM) -> list[tuple[Any, ...]]:
    return [(r.month, r.group, r.scores) for r in csat_report(crm, months=3).rows]


def csat_rows(month: datetime, rows: Any) -> list[tuple[Any, ...]]:
    per: dict[str, list[int]] = {}
    for team, score, count in rows:
        per.setdefault(team, [0] * 5)[int(score) - 1] += count
    return [(month.date(), team, tuple(per[team])) for team in sorted(per)]


SALES_SQL = (
    (
        "SELECT f_owner, f_status, f_amount_currency, COUNT(*), SUM(f_amount_amount) FROM {table} "
        "WHERE f_closed_at >= {ph} AND f_closed_at < {ph} AND f_status IN ({ph}, {ph}) "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ),
    (
        "SELECT f_owner, COUNT(*), SUM(f_cycle_seconds) FROM {table} WHERE f_closed_at >= {ph} "
        "AND f_closed_at < {ph} AND f_cycle_seconds >= {ph} AND f_status = {ph} GROUP BY 1 ORDER BY 1"
    ),
)
CSAT_SQL = (
    "SELECT f_team, f_score, COUNT(*) FROM {table} WHERE f_answered = {ph} "
    "AND f_answered_at >= {ph} AND f_answered_at < {ph} GROUP BY 1, 2 ORDER BY 1, 2"
)


def _iso(at: datetime) -> str:
    """A datetime as the SQLite store keeps it (UTC, microseconds)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


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
            q0, q1 = (_iso(t) for t in QUARTER)
            sales_sql = [q.format(table="rc_rec_opportunity", ph="?") for q in SALES_SQL]

            def raw_sales() -> list[tuple[Any, ...]]:
                counts = [
                    (o, s, c, k, Decimal(t) / million)
                    for o, s, c, k, t in conn.execute(sales_sql[0], (q0, q1, "won", "lost"))
                ]
                return sales_rows(counts, conn.execute(sales_sql[1], (q0, q1, 0, "won")))

            assert ours_sales(crm) == raw_sales(), "the sales figures differ"
            line("SQLite sales per rep", *best_pair(lambda: ours_sales(crm), raw_sales), n)
            load_surveys(crm, n)
            csat_sql = CSAT_SQL.format(table="rc_rec_survey", ph="?")

            def raw_csat() -> list[tuple[Any, ...]]:
                return [
                    row
                    for a, b in itertools.pairwise(MONTHS)
                    for row in csat_rows(a, conn.execute(csat_sql, (1, _iso(a), _iso(b))))
                ]

            assert ours_csat(crm) == raw_csat(), "the CSAT figures differ"
            line("SQLite CSAT, 3 months", *best_pair(lambda: ours_csat(crm), raw_csat), n)
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
                sales_sql = [q.format(table=table, ph="%s") for q in SALES_SQL]

                def raw_sales() -> list[tuple[Any, ...]]:
                    counts = conn.execute(sales_sql[0], (*QUARTER, "won", "lost")).fetchall()
                    cycles = conn.execute(sales_sql[1], (*QUARTER, 0, "won")).fetchall()
                    return sales_rows(counts, cycles)

                assert ours_sales(crm) == raw_sales(), "the sales figures differ"
                line("PostgreSQL sales per rep", *best_pair(lambda: ours_sales(crm), raw_sales), n)
                load_surveys(crm, n)
                surveys = f'"{schema}".rc_rec_survey'
                conn.execute(f"ANALYZE {surveys}")
                csat_sql = CSAT_SQL.format(table=surveys, ph="%s")

                def raw_csat() -> list[tuple[Any, ...]]:
                    return [
                        row
                        for a, b in itertools.pairwise(MONTHS)
                        for row in csat_rows(a, conn.execute(csat_sql, (True, a, b)).fetchall())
                    ]

                assert ours_csat(crm) == raw_csat(), "the CSAT figures differ"
                line("PostgreSQL CSAT, 3 months", *best_pair(lambda: ours_csat(crm), raw_csat), n)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="20,000 records of each kind instead of 1,000,000"
    )
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
