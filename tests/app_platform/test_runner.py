"""The job runner on memory, SQLite and PostgreSQL: exactly-once store effects, leases, retries."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core.exceptions import CapabilityError, ValidationError
from relationship_core.plugins import Job, MemoryBackend

from .conftest import T0
from .jobs_feature import HOOKS, manager

LEASE = timedelta(minutes=1)


def _open(url: str, clock: rc.Clock | None = None) -> rc.CRM:
    return rc.open(url, plugins=manager(), clock=clock or rc.ManualClock(T0))


def _people(crm: rc.CRM, *ids: str) -> set[str]:
    return {i for i in ids if crm.parties.find(i) is not None}


def test_a_job_runs_once_and_completes_with_its_effects(url: str, tmp_path: Path) -> None:
    log = tmp_path / "sent.log"
    with _open(url) as crm:
        jid = crm.jobs.enqueue("welcome", {"n": 1, "log": str(log)}, idempotency_key="mail-1")
        runner = rc.Runner(crm, queues=["welcome"], worker="w1")
        [result] = runner.drain()
        assert (result.job_id, result.outcome, result.attempt) == (jid, "done", 1)
        assert runner.drain() == []
        assert _people(crm, "done-1") == {"done-1"}
        job = crm.jobs.get(jid)
        assert job is not None
        assert job.state == "done"
        assert log.read_text().split() == ["mail-1"]  # the external effect got the job's key
        assert runner.actor == rc.Actor(rc.ActorKind.SYSTEM, "w1")


def test_a_lost_lease_writes_nothing(url: str) -> None:
    clock = rc.ManualClock(T0)
    with _open(url, clock) as crm:
        jid = crm.jobs.enqueue("hook", {"n": 2, "hook": "steal"})
        stolen: list[str] = []

        def steal(job: Job, uow: rc.UnitOfWork) -> None:
            if job.lease_owner != "slowpoke":
                return
            clock.advance(LEASE)  # the lease lapses; another worker takes the job over
            [taken] = rc.Runner(crm, queues=["hook"], worker="B", lease=LEASE).run_once()
            stolen.append(taken.outcome)

        HOOKS["steal"] = steal
        runner = rc.Runner(crm, queues=["hook"], worker="slowpoke", lease=LEASE, heartbeat=False)
        [result] = runner.run_once()
        assert stolen == ["done"]
        assert result.outcome == "lost"
        assert "slowpoke" in (result.error or "")
        assert _people(crm, "done-2") == {"done-2"}  # B's, once: slowpoke's rolled back
        job = crm.jobs.get(jid)
        assert job is not None
        assert (job.state, job.fence) == ("done", 2)


def test_cancelling_the_group_of_a_running_job_rolls_it_back(url: str) -> None:
    with _open(url) as crm:
        with crm.unit_of_work() as uow:
            uow.enqueue(rc.plugins.NewJob("hook", {"n": 3, "hook": "cancel"}, T0, group="g:1"))
            uow.enqueue(rc.plugins.NewJob("welcome", {"n": 4}, T0 + LEASE, group="g:1"))

        def cancel_meanwhile(job: Job, uow: rc.UnitOfWork) -> None:
            with crm.unit_of_work() as other:
                other.cancel_group("g:1")

        HOOKS["cancel"] = cancel_meanwhile
        runner = rc.Runner(crm, queues=["hook", "welcome"], heartbeat=False)
        [result] = runner.drain()
        assert result.outcome == "lost"
        assert _people(crm, "done-3") == set()
        crm.clock.advance(LEASE)  # type: ignore[attr-defined]
        assert runner.drain() == []  # the later job of the group was cancelled too
        states = sorted(j.state for j in crm.jobs.list_jobs())
        assert states == ["cancelled", "cancelled"]


def test_a_handler_can_cancel_its_own_group_and_still_complete(url: str) -> None:
    with _open(url) as crm:
        with crm.unit_of_work() as uow:
            uow.enqueue(rc.plugins.NewJob("cancel", {"n": 5, "group": "g:2"}, T0, group="g:2"))
            uow.enqueue(rc.plugins.NewJob("welcome", {"n": 6}, T0, group="g:2"))
        runner = rc.Runner(crm, queues=["cancel"], heartbeat=False)
        [result] = runner.drain()
        assert result.outcome == "done"
        by_queue = {j.queue: j.state for j in crm.jobs.list_jobs()}
        assert by_queue == {"cancel": "done", "welcome": "cancelled"}


def test_jobs_a_handler_enqueues_inherit_its_group(url: str) -> None:
    with _open(url) as crm:
        with crm.unit_of_work() as uow:
            uow.enqueue(rc.plugins.NewJob("chain", {"n": 7}, T0, group="followups:p9"))
        rc.Runner(crm, queues=["chain"], heartbeat=False).drain()
        [nxt] = crm.jobs.list_jobs(queue="welcome")
        assert (nxt.group, nxt.payload["n"]) == ("followups:p9", "7-next")


def test_failures_back_off_then_dead_letter(url: str) -> None:
    clock = rc.ManualClock(T0)
    with _open(url, clock) as crm:
        jid = crm.jobs.enqueue("flaky", {"n": 8}, max_attempts=3)
        backoff = rc.Backoff(base=timedelta(seconds=10), factor=2, jitter=0)
        runner = rc.Runner(crm, queues=["flaky"], backoff=backoff, heartbeat=False)
        assert [r.outcome for r in runner.drain()] == ["retried"]
        job = crm.jobs.get(jid)
        assert job is not None
        assert job.due_at == T0 + timedelta(seconds=10)
        clock.advance(timedelta(seconds=9))
        assert runner.drain() == []
        clock.advance(timedelta(seconds=1))
        assert [r.outcome for r in runner.drain()] == ["retried"]
        clock.advance(timedelta(seconds=20))
        [last] = runner.drain()
        assert (last.outcome, last.attempt) == ("dead", 3)
        assert last.error == "ConnectionError: smtp down (attempt 3)"
        [dead] = crm.jobs.list_jobs(states=["dead"])
        assert dead.last_error == last.error
        again = crm.jobs.requeue(jid)
        assert (again.state, again.attempts, again.due_at) == ("pending", 0, clock.now())
        assert crm.jobs.stats()["flaky"].due == 1


def test_a_job_that_recovers_is_done_once(url: str) -> None:
    clock = rc.ManualClock(T0)
    with _open(url, clock) as crm:
        crm.jobs.enqueue("flaky", {"n": 9, "fail": 1})
        runner = rc.Runner(crm, queues=["flaky"], backoff=rc.Backoff(jitter=0), heartbeat=False)
        assert [r.outcome for r in runner.drain()] == ["retried"]
        clock.advance(timedelta(hours=1))
        assert [r.outcome for r in runner.drain()] == ["done"]
        assert _people(crm, "done-9") == {"done-9"}


def test_long_handlers_renew_their_lease(url: str) -> None:
    # Real time: a 0.2 s lease, a 0.5 s handler, a rival claiming meanwhile: only renewal
    # keeps the job from being taken over (and the first run from being lost).
    with rc.open(url, plugins=manager()) as crm:
        jid = crm.jobs.enqueue("hook", {"n": 10, "hook": "rival"})
        lease = timedelta(seconds=0.2)
        rival: list[list[Job]] = []

        def claim_meanwhile(job: Job, uow: rc.UnitOfWork) -> None:
            time.sleep(0.5)
            rival.append(crm.backend.claim_jobs(worker="rival", lease=lease))  # type: ignore[call-arg]

        HOOKS["rival"] = claim_meanwhile
        [result] = rc.Runner(crm, queues=["hook"], lease=lease).run_once()
        assert rival == [[]]
        assert result.outcome == "done"
        job = crm.jobs.get(jid)
        assert job is not None
        assert (job.state, job.fence) == ("done", 1)


def test_backoff_schedule_and_seeded_jitter() -> None:
    b = rc.Backoff(base=timedelta(seconds=1), factor=3, cap=timedelta(seconds=20), jitter=0)
    assert [b.delay(n).total_seconds() for n in range(1, 6)] == [1, 3, 9, 20, 20]
    assert b.delay(10_000) == timedelta(seconds=20)
    jittery = rc.Backoff(base=timedelta(seconds=100), jitter=0.5)
    first = [jittery.delay(1, random.Random(7)) for _ in range(3)]
    assert first == [jittery.delay(1, random.Random(7))] * 3
    spread = {jittery.delay(1, random.Random(s)).total_seconds() for s in range(50)}
    assert min(spread) >= 50
    assert max(spread) <= 150
    assert len(spread) > 40
    with pytest.raises(ValidationError, match="jitter"):
        rc.Backoff(jitter=2)
    with pytest.raises(ValidationError, match="factor"):
        rc.Backoff(factor=0.5)
    with pytest.raises(ValidationError, match="base"):
        rc.Backoff(base=timedelta(0))


def test_runner_refuses_unknown_queues_and_old_backends() -> None:
    with _open("memory://") as crm:
        with pytest.raises(ValidationError, match=r"registered: .*welcome"):
            rc.Runner(crm, queues=["nope"])
        with pytest.raises(ValidationError, match="batch"):
            rc.Runner(crm, batch=0)

        class OldBackend(MemoryBackend):
            capabilities = frozenset({"threads"})
            contract_version = 1

        crm.backend = OldBackend(crm.backend.schema)  # type: ignore[attr-defined]
        with pytest.raises(CapabilityError, match=r"OldBackend.*'job_control'"):
            rc.Runner(crm)


def test_one_heartbeat_thread_renews_every_held_job_then_leaves() -> None:
    # Real time, short: 50 ms beats, gone after 100 ms idle.
    from relationship_core._app.heartbeat import Heartbeat
    from relationship_core.exceptions import LeaseLostError

    with rc.open("memory://", plugins=manager()) as crm:
        for n in (1, 2):
            crm.jobs.enqueue("welcome", {"n": n})
        first, second = crm.jobs.claim("w", limit=2, lease=LEASE)
        renewed: list[str] = []

        def renew(job: Job) -> None:
            renewed.append(job.id)
            if job.id == second.id:  # as if another worker had taken it over
                raise LeaseLostError(job.id, job.fence, job.fence + 1, "claimed", "w")
            crm.backend.renew_lease(job, lease=LEASE)  # type: ignore[attr-defined]

        def beating() -> set[threading.Thread]:
            return {t for t in threading.enumerate() if t.name == "heartbeat" and t.is_alive()}

        others = beating()  # other runners' threads, leaving within their idle second
        beats = Heartbeat(renew, interval=0.05, idle=0.1)
        with beats.holding(first), beats.holding(second):
            time.sleep(0.3)
            ours = beating() - others
            assert len(ours) == 1
        assert renewed.count(first.id) >= 3
        assert renewed.count(second.id) == 1  # a lost lease is not renewed again
        deadline = time.monotonic() + 2
        while ours & beating() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not ours & beating()


def test_a_job_held_while_the_heartbeat_idles_wakes_it_for_its_first_renewal() -> None:
    # The thread is woken only when a new job's first renewal is due before its wait ends:
    # here it idles for 5 s, and the job must still be renewed within its 50 ms interval.
    from relationship_core._app.heartbeat import Heartbeat

    renewed: list[float] = []
    with rc.open("memory://", plugins=manager()) as crm:
        for n in (1, 2):
            crm.jobs.enqueue("welcome", {"n": n})
        first, second = crm.jobs.claim("w", limit=2, lease=LEASE)
        beats = Heartbeat(lambda job: renewed.append(time.monotonic()), interval=0.05, idle=5)
        with beats.holding(first):
            pass  # the thread starts, finds nothing held, idles
        time.sleep(0.05)
        start = time.monotonic()
        with beats.holding(second):
            deadline = start + 2
            while not renewed and time.monotonic() < deadline:
                time.sleep(0.01)
        assert renewed
        assert renewed[0] - start < 1.0
