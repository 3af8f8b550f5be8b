"""Worker processes for the reliability tests (run as a script, one mode per process).

    python worker.py increment URL ATTEMPTS   # read-modify-write counters from 2 threads
    python worker.py bigtx URL                # big units of work until killed
    python worker.py claim URL NAME NOW_ISO [--abandon]   # claim jobs until none are left

Each prints one JSON line with what it did (bigtx prints "ready" lines).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from relationship_core._app.facade import open_store
from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.parties import Person
from relationship_core.exceptions import ConflictError
from relationship_core.plugins import KindSpec, NewJob, Schema, Write, get_plugin_manager


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


COUNTERS = Schema([KindSpec("counter", {"n": "int"})])
RUNS = Schema([KindSpec("run", {"job": "str"})])


def increment(url: str, attempts: int) -> None:
    store = get_plugin_manager().open_backend(url, COUNTERS)
    applied = conflicts = 0
    lock = threading.Lock()

    def work(offset: int) -> None:
        nonlocal applied, conflicts
        for i in range(attempts):
            rid = f"c{(i + offset) % 3}"
            rec = store.get_many("counter", [rid])[rid]
            n = int(rec.data["n"]) + 1
            try:
                with store.transaction() as tx:
                    tx.put_many([Write("counter", rid, {"n": n}, {"n": n}, rec.version)])
            except ConflictError:
                with lock:
                    conflicts += 1
            else:
                with lock:
                    applied += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    _say(json.dumps({"applied": applied, "conflicts": conflicts}))


def bigtx(url: str) -> None:
    t0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")

    def welcome(events: Sequence[DomainEvent]) -> list[NewJob]:
        return [  # one per engagement, not per reaction (the lifecycle feature's stage moves)
            NewJob("welcome", {"e": e.aggregate_id}, e.occurred_at)
            for e in events
            if e.name == "engagement.started"
        ]

    with open_store(url, clock=ManualClock(t0), job_rule=welcome) as crm:
        batch = 0
        while True:
            with crm.unit_of_work() as uow:
                for i in range(100):
                    person = uow.parties.add(
                        Person(name=f"p{batch}-{i}", tags={f"batch-{os.getpid()}-{batch}"})
                    )
                    uow.engagements.add(
                        Engagement.start(
                            person,
                            kind="customer",
                            acquired_on=date(2026, 1, 1),
                            at=t0,
                            support_team="desk",
                        )
                    )
            _say(f"ready {batch}")
            batch += 1


def claim(url: str, name: str, now_iso: str, abandon: bool) -> None:
    now = datetime.fromisoformat(now_iso)
    store = get_plugin_manager().open_backend(url, RUNS)
    done: list[str] = []
    lease = timedelta(minutes=10)
    while True:
        jobs = store.claim_jobs(worker=name, now=now, lease=lease, limit=2)
        if not jobs:
            break
        for job in jobs:
            if abandon:  # a worker that dies holding its jobs
                done.append(job.id)
                continue
            # "Running" the job writes a record named after it: a second run would conflict.
            with store.transaction() as tx:
                tx.put_many([Write("run", job.id, {"by": name}, {"job": job.id})])
            store.complete_job(job)
            done.append(job.id)
        if abandon and len(done) >= 6:
            break
    store.close()
    _say(json.dumps({"jobs": done}))


def main(argv: list[str]) -> None:
    mode, url, *rest = argv
    if mode == "increment":
        increment(url, int(rest[0]))
    elif mode == "bigtx":
        bigtx(url)
    elif mode == "claim":
        claim(url, rest[0], rest[1], "--abandon" in rest)
    else:  # pragma: no cover
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
