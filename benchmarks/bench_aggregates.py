"""Benchmark: count and exact sums through the store's aggregate API vs the raw driver.

One kind ``payment`` (``status``, ``currency``, ``amount`` in integer minor
units). The query: count and sum of the paid payments, grouped by currency.
Ours is ``backend.aggregate(Aggregate(...))``; the baseline is the same
``SELECT ... GROUP BY`` written by hand on the same connection's driver
(``sqlite3`` / ``psycopg``), over the same table and indexes. Both answers are
asserted equal. PostgreSQL runs when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set.

Run ``python benchmarks/bench_aggregates.py`` (1,000,000 records) or with
``--quick`` (20,000).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relationship_core._storage.contract import Aggregate, Condition, Measure, Write
from relationship_core._storage.postgres import open_postgres
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core._storage.sqlite import open_sqlite
from relationship_core._storage.url import parse_url

SCHEMA = Schema((KindSpec("payment", {"status": "str", "currency": "str", "amount": "int"}),))
RAW = (
    "SELECT f_currency, COUNT(*), SUM(f_amount) FROM rc_rec_payment "
    "WHERE f_status = {ph} GROUP BY f_currency ORDER BY f_currency"
)


def load(backend: Any, count: int) -> None:
    rng = random.Random(11)
    for start in range(0, count, 5000):
        writes = []
        for i in range(start, min(count, start + 5000)):
            status = rng.choice(["paid", "paid", "paid", "open", "void"])
            currency = rng.choice(["EUR", "EUR", "USD", "GBP"])
            indexed = {"status": status, "currency": currency, "amount": rng.randint(1, 10**7)}
            writes.append(Write("payment", f"p{i:08d}", {}, indexed))
        with backend.transaction() as tx:
            tx.put_many(writes)


def best(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def run(name: str, backend: Any, count: int, rounds: int) -> float:
    load(backend, count)
    agg = Aggregate(
        "payment",
        where=(Condition("status", "eq", "paid"),),
        measures=(Measure("count"), Measure("sum", "amount")),
        group_by=("currency",),
    )

    def ours() -> list[tuple[Any, ...]]:
        groups = backend.aggregate(agg)
        return [(g.key[0], g.values["count"], g.values["sum(amount)"]) for g in groups]

    sql = RAW.format(ph=backend.dialect.ph)

    def raw() -> list[tuple[Any, ...]]:
        with backend._reader() as conn:
            return [(c, int(n), int(s)) for c, n, s in conn.execute(sql, ("paid",)).fetchall()]

    ours()
    raw()  # warm the caches the same way
    t_ours, a = best(ours, rounds)
    t_raw, b = best(raw, rounds)
    assert a == b, (a, b)
    ratio = t_ours / t_raw
    print(
        f"{name:<11} {count:>9,} records  ours {t_ours * 1000:8.1f} ms  "
        f"raw {t_raw * 1000:8.1f} ms  ratio {ratio:.2f}x"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 records, a smoke run")
    args = parser.parse_args()
    count, rounds = (20_000, 5) if args.quick else (1_000_000, 5)
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        url = parse_url(f"sqlite:///{Path(folder) / 'bench.db'}")
        backend = open_sqlite(url, SCHEMA)
        try:
            ratios.append(run("SQLite", backend, count, rounds))
        finally:
            backend.close()
    dsn = os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN")
    if dsn:
        schema = f"bench_agg_{uuid.uuid4().hex[:8]}"
        pg = open_postgres(parse_url(f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"), SCHEMA)
        try:
            ratios.append(run("PostgreSQL", pg, count, rounds))
        finally:
            with pg._reader() as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
            pg.close()
    print(f"worst ratio {max(ratios):.2f}x (goal: within 1.5x)")


if __name__ == "__main__":
    main()
