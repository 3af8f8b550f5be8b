"""Benchmark: the in-database customer summary against pandas.read_sql plus a groupby.

The data: orders in a store's own tables (SQLite file, and PostgreSQL when
``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set), written with the raw driver in
bulk (``executemany`` / ``COPY``; writing them through the store would take
longer than the benchmark); a tenth as many parties, in five zones (UTC, Paris,
New York, Kolkata, Lord Howe), 5% of orders cancelled, amounts in cents.
The summary keeps each order's local day in a column of its own, with covering
indexes; the setup fills them with the summary's own preparation
(`relationship_core.analytics._store_days.prepare`, what the first summary on a
store runs) and times that apart: both sides then read the same stored orders.

Ours: ``store_customer_summary(crm, source="orders", time_unit="week", ...)``.
Theirs: ``pandas.read_sql`` of the same columns (party, placed_at, total,
refunded, status, currency, the party's zone) through the raw driver
(``sqlite3`` / ``psycopg``), then local dates per zone with ``tz_convert`` and a
groupby to the same four columns. Each side runs in its own process (this
script with ``--side``), which reports its time and its peak resident memory
(``ru_maxrss``, the interpreter and imports included); both summaries are
checked equal (frequency, recency and T exactly, spend to 1e-9).

Run ``python benchmarks/bench_summary.py`` (10,000,000 orders) or ``--quick``
(200,000) or ``--orders N``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
END = "2026-06-30"
PG_ENV = "RELATIONSHIP_CORE_TEST_POSTGRES_DSN"
_START = np.datetime64("2023-07-01T00:00:00", "s")
_SPAN = 3 * 365 * 86_400


def _generate(orders: int, start: int, stop: int) -> dict[str, Any]:
    rng = np.random.default_rng(start + 17)
    n = stop - start
    customers = max(1, orders // 10)
    party = rng.integers(0, customers, n)
    at = _START + rng.integers(0, _SPAN, n).astype("timedelta64[s]")
    cents = rng.integers(100, 20_000, n)
    cancelled = rng.random(n) < 0.05
    return {"party": party, "at": at, "cents": cents, "cancelled": cancelled}


def _party_zone(party: int) -> str:
    return ZONES[party % len(ZONES)]


def setup_sqlite(path: Path, orders: int) -> None:
    import sqlite3

    from relationship_core import open as open_store

    with open_store(f"sqlite:///{path}"):
        pass  # the store creates its tables and indexes
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    for (name,) in conn.execute(  # bulk load first; the store rebuilds its indexes on open
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('rc_rec_order', 'rc_rec_party')"
    ).fetchall():
        conn.execute(f"DROP INDEX {name}")
    customers = max(1, orders // 10)
    conn.executemany(
        "INSERT INTO rc_rec_party (id, version, schema_version, data, f_party_kind, f_name) "
        "VALUES (?, 1, 2, ?, 'person', ?)",
        (
            (
                f"c{j}",
                json.dumps({"kind": "person", "id": f"c{j}", "time_zone": _party_zone(j)}),
                f"c{j}",
            )
            for j in range(customers)
        ),
    )
    chunk = 200_000
    for start in range(0, orders, chunk):
        g = _generate(orders, start, min(orders, start + chunk))
        stamps = np.datetime_as_string(g["at"].astype("datetime64[us]"), unit="us")
        rows = (
            (
                f"o{start + i}",
                f"c{p}",
                "cancelled" if x else "placed",
                f"{s}+00:00",
                int(c) * 10_000,
            )
            for i, (p, s, c, x) in enumerate(
                zip(
                    g["party"].tolist(),
                    stamps.tolist(),
                    g["cents"].tolist(),
                    g["cancelled"].tolist(),
                    strict=True,
                )
            )
        )
        conn.executemany(
            "INSERT INTO rc_rec_order (id, version, schema_version, data, f_business, f_party_id, "
            "f_status, f_placed_at, f_currency, f_total, f_refunded) "
            "VALUES (?, 1, 2, '{}', 'default', ?, ?, ?, 'EUR', ?, 0)",
            rows,
        )
        conn.commit()
    conn.commit()
    conn.close()
    with open_store(f"sqlite:///{path}"):
        pass
    fill_days(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()


def fill_days(url: str) -> None:
    """The summary's own preparation: its column, indexes and triggers, every local day filled.

    Exactly what the first `store_customer_summary` on a store does (and what
    keeps the days filled for later orders); timed apart from the summary.
    """
    from relationship_core import open as open_store
    from relationship_core.analytics._store_days import prepare

    with open_store(url) as crm:
        backend: Any = crm.backend
        start = time.perf_counter()
        with backend._writer() as conn:
            filled = prepare(conn, backend.dialect.name)
        print(f"  {filled:,} local days filled in {time.perf_counter() - start:.1f} s", flush=True)


def setup_postgres(url: str, orders: int) -> None:
    import psycopg

    from relationship_core import open as open_store

    with open_store(url):
        pass
    dsn, _, schema = url.partition("schema=")
    dsn = dsn.rstrip("?&")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        customers = max(1, orders // 10)
        with conn.cursor().copy(
            "COPY rc_rec_party (id, version, schema_version, data, f_party_kind, f_name) FROM STDIN"
        ) as copy:
            for j in range(customers):
                doc = json.dumps({"kind": "person", "id": f"c{j}", "time_zone": _party_zone(j)})
                copy.write_row((f"c{j}", 1, 2, doc, "person", f"c{j}"))
        chunk = 200_000
        columns = (
            "id, version, schema_version, data, f_business, f_party_id, f_status, "
            "f_placed_at, f_currency, f_total, f_refunded"
        )
        for start in range(0, orders, chunk):
            g = _generate(orders, start, min(orders, start + chunk))
            stamps = np.datetime_as_string(g["at"], unit="s")
            with conn.cursor().copy(f"COPY rc_rec_order ({columns}) FROM STDIN") as copy:
                for i, (p, s, c, x) in enumerate(
                    zip(
                        g["party"].tolist(),
                        stamps.tolist(),
                        g["cents"].tolist(),
                        g["cancelled"].tolist(),
                        strict=True,
                    )
                ):
                    status = "cancelled" if x else "placed"
                    row = (f"o{start + i}", 1, 2, "{}", "default", f"c{p}", status)
                    copy.write_row((*row, f"{s}+00:00", "EUR", f"{c / 100:.2f}", "0"))
    fill_days(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load


# -- the two sides (each run in its own process) -------------------------------------


def side_ours(url: str) -> tuple[float, Any]:
    from datetime import date

    from relationship_core import open as open_store
    from relationship_core.analytics import store_customer_summary

    with open_store(url) as crm:  # opening the store is not timed (nor pandas' connect)
        start = time.perf_counter()
        summary = store_customer_summary(
            crm, source="orders", time_unit="week", observation_end=date.fromisoformat(END)
        )
        return time.perf_counter() - start, summary


_PANDAS_SQL = {
    "sqlite": (
        "SELECT o.f_party_id AS c, o.f_placed_at AS at, o.f_total AS total, "
        "o.f_refunded AS refunded, o.f_status AS status, o.f_currency AS currency, "
        "json_extract(p.data, '$.time_zone') AS zone "
        "FROM rc_rec_order o JOIN rc_rec_party p ON p.id = o.f_party_id"
    ),
    "postgres": (
        "SELECT o.f_party_id AS c, o.f_placed_at AS at, o.f_total::float8 AS total, "
        "o.f_refunded::float8 AS refunded, o.f_status AS status, o.f_currency AS currency, "
        "p.data->>'time_zone' AS zone "
        "FROM rc_rec_order o JOIN rc_rec_party p ON p.id = o.f_party_id"
    ),
}


def side_pandas(url: str) -> tuple[float, Any]:
    import warnings

    import pandas as pd

    if url.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        start = time.perf_counter()
        frame = pd.read_sql(_PANDAS_SQL["sqlite"], conn)
        scale = 1e6
    else:
        import psycopg

        dsn, _, schema = url.partition("schema=")
        conn = psycopg.connect(dsn.rstrip("?&"))
        conn.execute(f"SET search_path TO {schema}")
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas prefers SQLAlchemy; the raw driver works
            frame = pd.read_sql(_PANDAS_SQL["postgres"], conn)
        scale = 1.0
    conn.close()
    frame = frame[~frame["status"].isin(["cancelled", "refunded"]) & (frame["currency"] == "EUR")]
    at = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    day = pd.Series(0, index=frame.index, dtype="int64")
    for zone, rows in frame.groupby("zone").groups.items():
        local = at.loc[rows].dt.tz_convert(zone).dt.tz_localize(None)
        day.loc[rows] = local.to_numpy().astype("datetime64[D]").astype("int64")
    work = pd.DataFrame(
        {"c": frame["c"], "day": day, "amount": (frame["total"] - frame["refunded"]) / scale}
    )
    end = int(np.datetime64(END, "D").astype("int64"))
    daily = work[work["day"] <= end].groupby(["c", "day"], sort=True)["amount"].sum().reset_index()
    by = daily.groupby("c", sort=True)
    first, last, count = by["day"].min(), by["day"].max(), by["day"].size()
    total = by["amount"].sum()
    first_amount = by["amount"].first()
    frequency = count - 1
    repeat = (total - first_amount) / frequency.where(frequency > 0, 1)
    return time.perf_counter() - start, pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / 7.0,
            "T": (end - first) / 7.0,
            "monetary_value": repeat.where(frequency > 0, 0.0),
        }
    )


def run_side(side: str, url: str, out: str) -> None:
    seconds, summary = side_ours(url) if side == "ours" else side_pandas(url)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary[["frequency", "recency", "T", "monetary_value"]].to_csv(out)  # repr floats: exact
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "customers": len(summary)}))


def _spawn(side: str, url: str, out: Path) -> dict[str, float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(  # noqa: S603 - this script, with our own arguments
        [sys.executable, __file__, "--side", side, "--url", url, "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(name: str, url: str, workdir: Path) -> None:
    import pandas as pd

    ours = _spawn("ours", url, workdir / "ours.csv")
    theirs = _spawn("pandas", url, workdir / "pandas.csv")
    a, b = (pd.read_csv(workdir / f, index_col=0) for f in ("ours.csv", "pandas.csv"))
    assert list(a.index) == list(b.index), "different customers"
    for column in ("frequency", "recency", "T"):
        assert (a[column].to_numpy() == b[column].to_numpy()).all(), column
    assert np.allclose(a["monetary_value"], b["monetary_value"], rtol=1e-9, atol=1e-9)
    ratio = theirs["seconds"] / ours["seconds"]
    print(
        f"{name:<10} customers {int(ours['customers']):>9,}  ours {ours['seconds']:8.2f} s "
        f"(peak {ours['peak_mb']:7.0f} MB)  pandas {theirs['seconds']:8.2f} s "
        f"(peak {theirs['peak_mb']:7.0f} MB)  ratio {ratio:5.1f}x  goal >= 5x: "
        + ("met" if ratio >= 5 else "NOT met"),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 orders (CI smoke)")
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--side", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if args.side:
        run_side(args.side, args.url, args.out)
        return
    orders = args.orders or (200_000 if args.quick else 10_000_000)
    print(f"orders {orders:,}, parties {max(1, orders // 10):,}; load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "summary.db"
        if not args.skip_sqlite:
            start = time.perf_counter()
            setup_sqlite(path, orders)
            print(f"SQLite set up in {time.perf_counter() - start:.1f} s", flush=True)
            compare("SQLite", f"sqlite:///{path}", workdir)
        dsn = os.environ.get(PG_ENV)
        if dsn and not args.skip_postgres:
            import psycopg

            schema = f"bench_summary_{os.getpid()}"
            url = f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"
            try:
                start = time.perf_counter()
                setup_postgres(url, orders)
                print(f"PostgreSQL set up in {time.perf_counter() - start:.1f} s", flush=True)
                compare("PostgreSQL", url, workdir)
            finally:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        else:
            print(f"PostgreSQL skipped (set {PG_ENV})")
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
