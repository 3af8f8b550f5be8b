"""Job-runner benchmark: jobs per second through our `Runner` against a hand-written loop.

For SQLite and PostgreSQL, with 1, 2 and 4 worker processes, side by side in
one run. Both sides drain the same pre-enqueued jobs (same rows, same queue,
same due time) from the same table layout (each side in a store of its own,
created by our backend) and do the same durable work per job:

* claim a batch (``--batch``, default 1 like ``relationship-core worker``)
  with a lease: SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``FOR UPDATE SKIP
  LOCKED``, the server's clock for lease times;
* run a no-op handler and, in ONE transaction, complete the job (checking
  the lease owner and fence) and append one event to the event log, taking
  the log's single sequence (SQLite: AUTOINCREMENT under the write lock;
  PostgreSQL: the ``rc_counters`` row, locked until commit, so positions
  commit in order).

Ours: each process runs ``Runner(crm, queues=[...], batch=B).drain()`` as
``relationship-core worker --once`` does (heartbeat thread, unit of work,
envelope, logging). The baseline is a tight loop on the raw driver (sqlite3 /
psycopg) with ``UPDATE ... RETURNING`` claims. SQLite uses ``synchronous=FULL``
on both sides (our backend's default); PostgreSQL its default
``synchronous_commit=on``. Prints jobs per second and the ratio of times
(ours / baseline; 1.00x = as fast as the hand-written loop), and the
baseline without its event append, which shows where the event log's one
sequence is the ceiling.

    python benchmarks/bench_runner.py            # 4,000 jobs per run
    python benchmarks/bench_runner.py --quick    # 150 jobs, one run each, for CI
    python benchmarks/bench_runner.py --dsn postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as EventType
from typing import Any, ClassVar

import attrs

import relationship_core as rc
from relationship_core import DomainEvent
from relationship_core.plugins import Job, JobHandlerSpec, NewJob, PluginManager, hookimpl

QUEUE = "bench.noop"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=5)  # `relationship-core worker`'s default
ISO = "%Y-%m-%dT%H:%M:%S.%f+00:00"  # how our SQLite backend stores instants


@attrs.frozen(kw_only=True)
class JobRan(DomainEvent):
    """The one event each job appends."""

    name: ClassVar[str] = "bench.job_ran"


def noop(job: Job, uow: rc.UnitOfWork) -> None:
    """The no-op handler: appends one event, nothing else."""
    uow.publish(JobRan(aggregate_id=job.id, occurred_at=job.due_at))


class BenchFeature:
    @hookimpl
    def relationship_core_event_types(self) -> Sequence[type[DomainEvent]]:
        return [JobRan]

    @hookimpl
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:
        return [JobHandlerSpec(QUEUE, noop)]


def plugins() -> PluginManager:
    pm = PluginManager(entry_points=False).load()
    pm.register(BenchFeature(), name="bench-runner")
    return pm


def prepare(url: str, n: int) -> None:
    """Create the layout at *url* and enqueue the *n* jobs (untimed)."""
    with rc.open(url, plugins=plugins()) as crm:
        for start in range(0, n, 1000):
            with crm.backend.transaction() as tx:
                tx.enqueue(
                    [
                        NewJob(QUEUE, {"n": i}, T0, id=f"J{i:08d}")
                        for i in range(start, min(n, start + 1000))
                    ]
                )


# -- the two sides, one process each ---------------------------------------------------


def ours(url: str, batch: int) -> Callable[[], int]:
    crm = rc.open(url, plugins=plugins())
    runner = rc.Runner(crm, queues=[QUEUE], batch=batch, lease=LEASE)

    def work() -> int:
        done = sum(1 for r in runner.drain() if r.outcome == "done")
        crm.close()
        return done

    return work


def _event_data(job_id: str, worker: str) -> str:
    # The same shape as ours: the event's data and its envelope.
    envelope = {
        "id": uuid.uuid4().hex,
        "causation_id": job_id,
        "correlation_id": job_id,
        "actor": {"kind": "system", "id": worker},
        "schema_version": 1,
    }
    return json.dumps({"_envelope": envelope}, separators=(",", ":"))


def raw_sqlite(path: str, batch: int, events: bool = True) -> Callable[[], int]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = FULL")
    worker = f"raw:{os.getpid()}"
    claim = (
        "UPDATE rc_jobs SET state = 'claimed', attempts = attempts + 1, fence = fence + 1, "
        "lease_owner = ?, lease_expires_at = ? WHERE id IN (SELECT id FROM rc_jobs WHERE "
        "((state = 'pending' AND due_at <= ?) OR (state = 'claimed' AND lease_expires_at <= ?)) "
        "AND queue = ? ORDER BY due_at, id LIMIT ?) RETURNING id, payload, fence, due_at"
    )
    complete = (
        "UPDATE rc_jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL "
        "WHERE id = ? AND state = 'claimed' AND lease_owner = ? AND fence = ?"
    )
    append = (
        "INSERT INTO rc_events (type, aggregate_kind, aggregate_id, occurred_at, data) "
        "VALUES ('bench.job_ran', '', ?, ?, ?)"
    )

    def work() -> int:
        done = 0
        while True:
            now = datetime.now(UTC)
            at, until = now.strftime(ISO), (now + LEASE).strftime(ISO)
            conn.execute("BEGIN IMMEDIATE")
            jobs = conn.execute(claim, (worker, until, at, at, QUEUE, batch)).fetchall()
            conn.execute("COMMIT")
            if not jobs:
                break
            for job_id, payload, fence, due_at in jobs:
                json.loads(payload)
                conn.execute("BEGIN IMMEDIATE")
                if conn.execute(complete, (job_id, worker, fence)).rowcount != 1:
                    conn.execute("ROLLBACK")  # the lease was lost: write nothing
                    continue
                if events:
                    conn.execute(append, (job_id, due_at, _event_data(job_id, worker)))
                conn.execute("COMMIT")
                done += 1
        conn.close()
        return done

    return work


def raw_postgres(dsn: str, pg_schema: str, batch: int, events: bool = True) -> Callable[[], int]:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f'SET search_path TO "{pg_schema}"')
    worker = f"raw:{os.getpid()}"
    claim = (
        "UPDATE rc_jobs SET state = 'claimed', attempts = attempts + 1, fence = fence + 1, "
        "lease_owner = %s, lease_expires_at = clock_timestamp() + %s "
        "WHERE id IN (SELECT id FROM rc_jobs WHERE "
        "((state = 'pending' AND due_at <= clock_timestamp()) OR "
        "(state = 'claimed' AND lease_expires_at <= clock_timestamp())) "
        "AND queue = %s ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
        "RETURNING id, payload, fence, due_at"
    )
    complete = (
        "UPDATE rc_jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL "
        "WHERE id = %s AND state = 'claimed' AND lease_owner = %s AND fence = %s"
    )
    append = (
        "WITH c AS (UPDATE rc_counters SET value = value + 1 WHERE name = 'events' "
        "RETURNING value) INSERT INTO rc_events (seq, type, aggregate_kind, aggregate_id, "
        "occurred_at, data) SELECT c.value, 'bench.job_ran', '', %s, %s, %s FROM c"
    )

    def work() -> int:
        done = 0
        while True:
            jobs = conn.execute(claim, (worker, LEASE, QUEUE, batch)).fetchall()
            if not jobs:
                break
            for job_id, _payload, fence, due_at in jobs:
                with conn.transaction():
                    if conn.execute(complete, (job_id, worker, fence)).rowcount != 1:
                        continue  # the lease was lost: nothing was written
                    if events:
                        conn.execute(append, (job_id, due_at, _event_data(job_id, worker)))
                done += 1
        conn.close()
        return done

    return work


# -- processes -------------------------------------------------------------------------


def _child(
    side: Callable[..., Callable[[], int]],
    args: tuple[Any, ...],
    ready: Any,
    start: EventType,
    out: Any,
) -> None:
    work = side(*args)  # open the store / connect before the clock starts
    ready.release()
    start.wait()
    done = work()
    out.put((done, time.monotonic()))


def run(
    side: Callable[..., Callable[[], int]], args: tuple[Any, ...], procs: int
) -> tuple[float, int]:
    """Seconds from the start signal until the last of *procs* processes drained the queue."""
    ctx = mp.get_context("fork")
    ready, start, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    children = [
        ctx.Process(target=_child, args=(side, args, ready, start, out)) for _ in range(procs)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.acquire()
    t0 = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
    start.set()
    results = [out.get(timeout=600) for _ in children]
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"a worker process failed (exit code {child.exitcode})")
    return max(end for _, end in results) - t0, sum(done for done, _ in results)


def check(count: Callable[[str], int], n: int, events: int) -> None:
    """Every job done once, with its event (*events* in all)."""
    done = count("SELECT COUNT(*) FROM rc_jobs WHERE state = 'done'")
    logged = count("SELECT COUNT(*) FROM rc_events")
    if (done, logged) != (n, events):
        raise SystemExit(f"expected {n} jobs done and {events} events, found {done} and {logged}")


#: The sides, in table order: (name, whether it appends an event per job).
SIDES = (("ours", True), ("raw", True), ("raw-job-only", False))


def sqlite_runs(n: int, procs: int, batch: int) -> list[float]:
    """Seconds for each side of `SIDES`."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, events in SIDES:
            path = f"{tmp}/{name}-{procs}.db"
            prepare(f"sqlite:///{path}", n)
            if name == "ours":
                elapsed, done = run(ours, (f"sqlite:///{path}", batch), procs)
            else:
                elapsed, done = run(raw_sqlite, (path, batch, events), procs)
            conn = sqlite3.connect(path)

            def count(query: str, conn: sqlite3.Connection = conn) -> int:
                return int(conn.execute(query).fetchone()[0])

            check(count, n, n if events else 0)
            conn.close()
            if done != n:
                raise SystemExit(f"{name}: {done} jobs done, expected {n}")
            times.append(elapsed)
    return times


def postgres_runs(dsn: str, n: int, procs: int, batch: int) -> list[float]:
    """Seconds for each side of `SIDES`, each in a PostgreSQL schema of its own."""
    import psycopg

    tag = secrets.token_hex(3)
    sep = "&" if "?" in dsn else "?"
    times = []
    with psycopg.connect(dsn, autocommit=True) as admin:
        for name, events in SIDES:
            schema = f"bench_runner_{name.replace('-', '_')}_{tag}"
            url = f"{dsn}{sep}schema={schema}&pool_size=2"
            try:
                prepare(url, n)
                if name == "ours":
                    elapsed, done = run(ours, (url, batch), procs)
                else:
                    elapsed, done = run(raw_postgres, (dsn, schema, batch, events), procs)
                admin.execute(f'SET search_path TO "{schema}"')

                def count(query: str) -> int:
                    row = admin.execute(query).fetchone()
                    return int(row[0]) if row else -1

                check(count, n, n if events else 0)
                if done != n:
                    raise SystemExit(f"{name}: {done} jobs done, expected {n}")
                times.append(elapsed)
            finally:
                admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return times


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def report(title: str, n: int, rows: list[tuple[int, list[list[float]]]]) -> None:
    """One line per process count: jobs/s of each side (medians) and the ratio ours / raw."""
    print(f"\n{title}  ({n:,} jobs per run; median of {len(rows[0][1])})")
    print(f"{'processes':>9}{'ours jobs/s':>13}{'raw jobs/s':>12}{'ratio':>8}{'raw, no event':>15}")
    rates = []
    for procs, runs in rows:
        mine, raw, bare = (_median([r[i] for r in runs]) for i in range(3))
        rates.append((n / raw, n / bare))
        print(f"{procs:>9}{n / mine:>13,.0f}{n / raw:>12,.0f}{mine / raw:>7.2f}x{n / bare:>15,.0f}")
    if len(rows) > 1:
        (raw1, bare1), top = rates[0], max(r for r, _ in rates)
        grow, bare_grow = top / raw1, max(b for _, b in rates) / bare1
        print(
            f"  {rows[0][0]} to {rows[-1][0]} processes: the baseline grows {grow:.1f}x, "
            f"{bare_grow:.1f}x without its event append; the append costs the baseline "
            f"{1 - rates[0][0] / bare1:.0%} of its jobs/s at {rows[0][0]}, "
            f"{1 - rates[-1][0] / rates[-1][1]:.0%} at {rows[-1][0]}."
        )
        if grow < 1.5 and bare_grow < 1.5:
            print(
                "  Both flatten: every transaction takes the one write lock, and the event "
                "log's sequence with it; that single writer is the ceiling, not the runner."
            )
        elif grow < 1.5 or bare_grow > grow * 1.2:
            print(
                "  The event append flattens it: every append takes the event log's one "
                "sequence (held to commit, so positions commit in order); past that point "
                "the sequence, not the runner, is the ceiling."
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 jobs per run, one run")
    parser.add_argument("-n", type=int, default=None, help="jobs per run")
    parser.add_argument("--batch", type=int, default=1, help="jobs claimed at once (default 1)")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 3)")
    parser.add_argument(
        "--processes", default=None, help="comma-separated process counts (default 1,2,4)"
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("RELATIONSHIP_CORE_TEST_POSTGRES_DSN"),
        help="PostgreSQL DSN",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    n = args.n or (150 if args.quick else 4_000)
    runs = args.runs or (1 if args.quick else 3)
    counts = [int(p) for p in (args.processes or "1,2,4").split(",")]

    def measure(sides: Callable[[int], list[float]]) -> list[tuple[int, list[list[float]]]]:
        return [(procs, [sides(procs) for _ in range(runs)]) for procs in counts]

    if args.quick:
        print("--quick: a smoke run (one short run per figure), too noisy to quote")
    if args.only in (None, "sqlite"):
        rows = measure(lambda p: sqlite_runs(n, p, args.batch))
        report(f"SQLite (WAL, synchronous=FULL, batch {args.batch})", n, rows)
    if args.only in (None, "postgres"):
        if not args.dsn:
            print("\nPostgreSQL: skipped (give --dsn or set RELATIONSHIP_CORE_TEST_POSTGRES_DSN)")
            return
        rows = measure(lambda p: postgres_runs(args.dsn, n, p, args.batch))
        report(f"PostgreSQL (psycopg 3, synchronous_commit=on, batch {args.batch})", n, rows)


if __name__ == "__main__":
    main()
