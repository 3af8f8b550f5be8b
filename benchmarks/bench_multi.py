"""Benchmark: multi-valued (``str[]``) lookups through the store vs the raw driver.

One kind ``contact`` with ``name`` and ``tags``, a ``str[]`` field: each
record holds 1-3 of 2,000 tags. Three lookups, each for 40 different tags,
one page of up to 100 records each: ``contains`` one tag, ``in`` three tags,
and ``prefix`` (every tag starting with a three-letter stem). Ours is
``backend.query(Query(...))``: the ``rc_multi`` index read as a subquery,
records decoded. The baseline is the same ``SELECT ... WHERE id IN (SELECT
record_id FROM rc_multi ...) ORDER BY id LIMIT 101`` written by hand on the
same connection's driver (``sqlite3`` / ``psycopg``), its documents parsed
with ``json.loads``. Both answers (the ids) are asserted equal. PostgreSQL
runs when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set.

Run ``python benchmarks/bench_multi.py`` (200,000 records) or with
``--quick`` (10,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relationship_core._storage.contract import Condition, Query, Write
from relationship_core._storage.postgres import open_postgres
from relationship_core._storage.schema import KindSpec, Schema, prefix_end
from relationship_core._storage.sqlite import open_sqlite
from relationship_core._storage.url import parse_url

SCHEMA = Schema((KindSpec("contact", {"name": "str", "tags": "str[]"}),))
TAGS = [f"{stem}{n:02d}" for stem in (f"t{s:03d}" for s in range(20)) for n in range(100)]
COLUMNS = "id, version, schema_version, data, f_name, f_tags"
SUB = "SELECT record_id FROM rc_multi WHERE kind = {ph} AND field = {ph} AND "
LOOKUPS = 40


def load(backend: Any, count: int) -> None:
    rng = random.Random(11)
    for start in range(0, count, 5000):
        writes = []
        for i in range(start, min(count, start + 5000)):
            tags = rng.sample(TAGS, rng.randint(1, 3))
            data = {"name": f"contact {i}", "note": "x" * 40}
            writes.append(Write("contact", f"c{i:08d}", data, {"name": f"c{i}", "tags": tags}))
        with backend.transaction() as tx:
            tx.put_many(writes)


def best(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def _cases(
    ph: str,
) -> list[tuple[str, Callable[[str], Condition], Callable[[str], tuple[str, list[Any]]]]]:
    def raw_contains(tag: str) -> tuple[str, list[Any]]:
        return f"value = {ph}", [tag]

    def raw_in(tag: str) -> tuple[str, list[Any]]:
        i = TAGS.index(tag)
        return f"value IN ({ph}, {ph}, {ph})", [TAGS[i], TAGS[i - 1], TAGS[i - 2]]

    def raw_prefix(tag: str) -> tuple[str, list[Any]]:
        return f"value >= {ph} AND value < {ph}", [tag[:5], prefix_end(tag[:5])]

    def ours_in(tag: str) -> Condition:
        i = TAGS.index(tag)
        return Condition("tags", "in", [TAGS[i], TAGS[i - 1], TAGS[i - 2]])

    return [
        ("contains", lambda t: Condition("tags", "contains", t), raw_contains),
        ("in (3 tags)", ours_in, raw_in),
        ("prefix", lambda t: Condition("tags", "prefix", t[:5]), raw_prefix),
    ]


def run(name: str, backend: Any, count: int, rounds: int) -> float:
    load(backend, count)
    if backend.dialect.name == "PostgreSQL":
        with backend._writer() as conn:
            conn.execute("ANALYZE")  # both sides plan with the same, fresh statistics
    ph = backend.dialect.ph
    probes = random.Random(5).sample(TAGS, LOOKUPS)
    worst = 0.0
    for label, cond, raw_cond in _cases(ph):

        def ours(cond: Callable[[str], Condition] = cond) -> list[list[str]]:
            return [
                [r.id for r in backend.query(Query("contact", [cond(t)], limit=100)).records]
                for t in probes
            ]

        def raw(raw_cond: Callable[[str], tuple[str, list[Any]]] = raw_cond) -> list[list[str]]:
            out = []
            for t in probes:  # a connection taken per lookup, as the store takes one per query
                with backend._reader() as conn:
                    clause, params = raw_cond(t)
                    sql = (
                        f"SELECT {COLUMNS} FROM rc_rec_contact WHERE id IN "
                        f"({SUB.format(ph=ph)}{clause}) ORDER BY id LIMIT {ph}"
                    )
                    rows = conn.execute(sql, ["contact", "tags", *params, 101]).fetchall()
                    for row in rows:  # document and tags parsed, as the store hands them out
                        if not isinstance(row[3], dict):
                            json.loads(row[3])
                        if not isinstance(row[5], list):
                            json.loads(row[5])
                    out.append([row[0] for row in rows[:100]])
            return out

        ours()
        raw()  # warm the caches the same way
        t_ours, a = best(ours, rounds)
        t_raw, b = best(raw, rounds)
        assert a == b, (label, a[:1], b[:1])
        ratio = t_ours / t_raw
        worst = max(worst, ratio)
        print(
            f"{name:<11} {count:>8,} records  {label:<12} x{LOOKUPS}  ours {t_ours * 1000:8.1f} ms"
            f"  raw {t_raw * 1000:8.1f} ms  ratio {ratio:.2f}x"
        )
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records, a smoke run")
    args = parser.parse_args()
    count, rounds = (10_000, 3) if args.quick else (200_000, 5)
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
        schema = f"bench_multi_{uuid.uuid4().hex[:8]}"
        pg = open_postgres(parse_url(f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"), SCHEMA)
        try:
            ratios.append(run("PostgreSQL", pg, count, rounds))
        finally:
            with pg._reader() as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
            pg.close()
    print(f"worst ratio {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
