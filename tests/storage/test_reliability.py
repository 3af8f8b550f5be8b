"""Reliability: concurrent processes, SIGKILL mid-transaction, competing job workers.

Each test here can fail: it counts what separate OS processes did and checks
that the store agrees (no lost update, no half-committed unit of work, no job
run twice or lost).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from relationship_core._app.facade import open_store
from relationship_core.plugins import KindSpec, NewJob, Query, Schema, Write, get_plugin_manager

WORKER = Path(__file__).with_name("worker.py")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
COUNTERS = Schema([KindSpec("counter", {"n": "int"})])
RUNS = Schema([KindSpec("run", {"job": "str"})])

pytestmark = pytest.mark.slow


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own worker script
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str], timeout: float = 120) -> dict[str, object]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url("reliability")
    else:
        pg_url = request.getfixturevalue("pg_url")
        yield pg_url(f"rel_{request.node.name.split('[')[0][-24:]}_{os.getpid()}")


def test_concurrent_processes_and_threads_lose_no_update(url: str) -> None:
    store = get_plugin_manager().open_backend(url, COUNTERS)
    with store.transaction() as tx:
        tx.put_many([Write("counter", f"c{i}", {"n": 0}, {"n": 0}) for i in range(3)])
    procs = [_spawn("increment", url, "40") for _ in range(3)]
    results = [_result(p) for p in procs]
    applied = sum(int(r["applied"]) for r in results)  # type: ignore[call-overload]
    conflicts = sum(int(r["conflicts"]) for r in results)  # type: ignore[call-overload]
    assert applied + conflicts == 3 * 2 * 40  # every attempt either applied or refused
    final = store.get_many("counter", ["c0", "c1", "c2"])
    store.close()
    # No lost update: each applied write bumped exactly one version and one count.
    assert sum(r.version - 1 for r in final.values()) == applied
    assert all(r.data["n"] == r.version - 1 == r.indexed["n"] for r in final.values())
    assert applied > 0


def _check_consistent(url: str, round_: int) -> int:
    with open_store(url) as crm:
        parties = list(crm.parties.iterate(batch=1000))
        engagements = list(crm.engagements.iterate(batch=1000))
        events = list(crm.events.follow(batch=1000))
        jobs = []
        while batch := crm.backend.claim_jobs(
            worker="check",
            now=T0 + timedelta(days=1 + round_),
            lease=timedelta(hours=1),
            limit=1000,
        ):
            jobs.extend(batch)
    # Whole units of work or none: 100 parties, 100 engagements, 100 events, 100 jobs each,
    # and the lifecycle feature's reaction to each engagement, in the same unit of work.
    assert len(parties) % 100 == 0
    started = [e for _, e in events if e.name == "engagement.started"]
    moves = [e for _, e in events if e.name == "lifecycle.stage_changed"]
    assert len(engagements) == len(parties) == len(started) == len(moves) == len(jobs)
    assert len(events) == len(started) + len(moves)
    batches: dict[str, int] = {}
    for party in parties:
        [tag] = party.tags
        batches[tag] = batches.get(tag, 0) + 1
    assert set(batches.values()) <= {100}
    assert {e.party_id for e in engagements} == {p.id for p in parties}
    assert [s for s, _ in events] == list(range(1, len(events) + 1))
    assert {e.aggregate_id for e in started} == {e.id for e in engagements}
    assert {j.payload["e"] for j in jobs} == {e.id for e in engagements}
    return len(batches)


def test_sigkill_mid_unit_of_work_leaves_whole_changes_only(url: str) -> None:
    rng = random.Random(4)
    committed = 0
    for round_ in range(3):
        proc = _spawn("bigtx", url)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ready"), proc.stderr.read() if proc.stderr else line
        time.sleep(rng.uniform(0.02, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        batches = _check_consistent(url, round_)
        assert batches > committed  # the worker did commit, so the check is not vacuous
        committed = batches
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_competing_workers_run_each_job_once_and_lose_none(url: str) -> None:
    store = get_plugin_manager().open_backend(url, RUNS)
    with store.transaction() as tx:
        ids = tx.enqueue([NewJob("work", {"i": i}, T0) for i in range(60)])
    # One worker claims jobs and dies holding them (its leases last 10 minutes).
    abandoned = _result(_spawn("claim", url, "ghost", T0.isoformat(), "--abandon"))["jobs"]
    assert isinstance(abandoned, list)
    assert len(abandoned) >= 6
    # Three workers compete for the rest, at a time after the ghost's leases expired.
    later = (T0 + timedelta(minutes=11)).isoformat()
    procs = [_spawn("claim", url, f"w{k}", later) for k in range(3)]
    runs = [_result(p)["jobs"] for p in procs]
    ran = [jid for jobs in runs for jid in jobs]  # type: ignore[attr-defined]
    assert len(ran) == len(set(ran)), "a job was run twice"
    assert sorted(ran) == sorted(ids), "a job was lost"
    assert set(abandoned) <= set(ran)  # expired leases were claimable again
    done = [store.get_job(j) for j in ids]
    records = store.query(Query("run", limit=100)).records
    store.close()
    assert all(j is not None and j.state == "done" for j in done)
    assert len(records) == 60
    assert all(j is not None and j.attempts == (2 if j.id in abandoned else 1) for j in done)
