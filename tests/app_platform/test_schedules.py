"""Durable schedules on memory, SQLite and PostgreSQL: once each, in order, across restarts and DST."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

import relationship_core as rc
from relationship_core.exceptions import NotFoundError, ValidationError
from relationship_core.plugins import Job, JobHandlerSpec, PluginManager, hookimpl

from .conftest import T0

#: (key, attempt) of every run, the handlers' outside effect.
RUNS: list[tuple[str, int]] = []
LEASE = timedelta(minutes=1)


def _tick(job: Job, uow: rc.UnitOfWork) -> None:
    key = job.idempotency_key or job.id
    RUNS.append((key, job.attempts))
    uow.add(rc.Person(id=key.replace(":", "_"), name=key))  # once, or a duplicate id
    if job.payload.get("stop_at") == key[-19:]:
        uow._crm.schedules.cancel(key.split(":")[1], uow)  # type: ignore[attr-defined]


class Ticks:
    @hookimpl
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:
        return [JobHandlerSpec("tick", _tick)]


def _wall(*parts: int) -> datetime:
    """A local wall time (naive): the schedule reads it in its zone."""
    return datetime(*parts)  # type: ignore[arg-type] # noqa: DTZ001


def _open(url: str, clock: rc.ManualClock) -> rc.CRM:
    plugins = PluginManager(entry_points=False).load()
    plugins.register(Ticks(), name="ticks")
    return rc.open(url, plugins=plugins, clock=clock)


def _drain(crm: rc.CRM) -> list[str]:
    return [r.outcome for r in rc.Runner(crm, lease=LEASE, heartbeat=False).drain()]


def _keys(name: str) -> list[str]:
    return [k.rpartition(f"schedule:{name}:")[2] for k, _ in RUNS if f":{name}:" in k]


@pytest.fixture(autouse=True)
def _fresh_runs() -> None:
    RUNS.clear()


def test_monthly_from_the_anchor_once_each_in_order_across_a_restart(url: str) -> None:
    clock = rc.ManualClock(T0)
    crm = _open(url, clock)
    crm.schedules.start(
        "rent", "tick", every=relativedelta(months=1), zone="Europe/Berlin",
        anchor=_wall(2026, 1, 31, 9), count=4,
    )  # fmt: skip
    clock.set(datetime(2026, 2, 15, tzinfo=UTC))
    assert _drain(crm) == ["done"]
    if url != "memory://":  # a restart: everything needed is in the store
        crm.close()
        crm = _open(url, clock)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert _drain(crm) == ["done"] * 3
    assert _drain(crm) == []
    # Computed from the anchor, never chained: 28 February, then the 31st again.
    assert _keys("rent") == [
        "2026-01-31T09:00:00", "2026-02-28T09:00:00", "2026-03-31T09:00:00", "2026-04-30T09:00:00",
    ]  # fmt: skip
    schedule = crm.schedules.get("rent")
    assert (schedule.state, schedule.enqueued) == ("finished", 4)
    assert [s.name for s in crm.schedules.list(state="finished")] == ["rent"]
    crm.close()


def test_dst_until_count_and_a_handler_stopping_its_schedule(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 12, 31, tzinfo=UTC))
    with _open(url, clock) as crm:
        crm.schedules.start(
            "spring", "tick", rrule="FREQ=DAILY", zone="Europe/Berlin",
            anchor=_wall(2026, 3, 28, 2, 30), count=3,
        )  # fmt: skip
        crm.schedules.start(
            "autumn", "tick", every=timedelta(days=1), zone="Europe/Berlin",
            anchor=_wall(2026, 10, 24, 2, 30), count=3,
        )  # fmt: skip
        assert _drain(crm) == ["done"] * 6
        assert _keys("spring") == [
            "2026-03-28T02:30:00",
            "2026-03-29T03:30:00",
            "2026-03-30T02:30:00",
        ]
        assert _keys("autumn") == [
            "2026-10-24T02:30:00",
            "2026-10-25T02:30:00",
            "2026-10-26T02:30:00",
        ]
        due = {j.idempotency_key: j.due_at for j in crm.jobs.list_jobs(states=["done"])}
        assert due["schedule:spring:2026-03-29T03:30:00"] == datetime(
            2026, 3, 29, 1, 30, tzinfo=UTC
        )
        # 02:30 on 25 October happens twice: taken once, the first time (CEST).
        assert due["schedule:autumn:2026-10-25T02:30:00"] == datetime(
            2026, 10, 25, 0, 30, tzinfo=UTC
        )
        assert due["schedule:autumn:2026-10-26T02:30:00"] == datetime(
            2026, 10, 26, 1, 30, tzinfo=UTC
        )
        # until a local date (inclusive), a rule's own COUNT, and a handler stopping its series
        crm.schedules.start(
            "weekly", "tick", every=relativedelta(weeks=1), zone="America/New_York",
            anchor=_wall(2026, 1, 5, 23, 30), until=date(2026, 1, 26),
        )  # fmt: skip
        crm.schedules.start(
            "mon-thu", "tick", rrule="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3", anchor=T0, zone="UTC"
        )
        crm.schedules.start(
            "until-done", "tick", {"stop_at": "2026-01-07T09:00:00"},
            every=timedelta(days=1), anchor=T0,
        )  # fmt: skip
        assert _drain(crm) == ["done"] * 10
        assert [k[:10] for k in _keys("weekly")] == [
            "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26",
        ]  # fmt: skip
        assert _keys("mon-thu") == [
            "2026-01-05T09:00:00",
            "2026-01-08T09:00:00",
            "2026-01-12T09:00:00",
        ]
        assert _keys("until-done")[-1] == "2026-01-07T09:00:00"
        assert crm.schedules.get("until-done").state == "cancelled"
        assert {s.state for s in crm.schedules.list(state="finished")} == {"finished"}
        assert len(crm.schedules.list(state="finished")) == 4


def test_cancel_stops_the_pending_and_the_running_occurrence(url: str) -> None:
    clock = rc.ManualClock(T0)
    with _open(url, clock) as crm:
        crm.schedules.start("daily", "tick", every=timedelta(days=1), anchor=T0)
        crm.schedules.start("other", "tick", every=timedelta(days=1), anchor=T0)
        runner = rc.Runner(crm, lease=LEASE, heartbeat=False, batch=2)
        claimed = runner.claim()
        assert len(claimed) == 2
        crm.schedules.cancel("daily")  # "daily"'s job is running: it cannot complete
        outcomes = {j.idempotency_key: runner.run_job(j).outcome for j in claimed}
        assert outcomes == {
            "schedule:daily:2026-01-05T09:00:00": "lost",
            "schedule:other:2026-01-05T09:00:00": "done",
        }
        crm.schedules.cancel("other")  # its next occurrence was pending
        clock.advance(timedelta(days=30))
        assert _drain(crm) == []
        assert {j.state for j in crm.jobs.list_jobs(states=["pending", "claimed"])} == set()
        assert {s.state for s in crm.schedules.list()} == {"cancelled"}
        assert _keys("daily") == ["2026-01-05T09:00:00"]  # ran, but rolled back
        assert crm.parties.find("schedule_other_2026-01-05T09_00_00") is not None  # "other"'s, once


def test_a_crash_reruns_the_occurrence_but_enqueues_its_successor_once(url: str) -> None:
    clock = rc.ManualClock(T0)
    with _open(url, clock) as crm:
        crm.schedules.start("crashy", "tick", every=timedelta(days=1), anchor=T0)
        crashed = rc.Runner(crm, worker="crashed", lease=LEASE, heartbeat=False)
        [job] = crashed.claim()  # ... and the worker dies before it completes the job
        clock.advance(LEASE)
        survivor = rc.Runner(crm, worker="survivor", lease=LEASE, heartbeat=False)
        assert [r.outcome for r in survivor.run_once()] == ["done"]
        assert crashed.run_job(job).outcome == "lost"  # the stale worker wakes up: nothing
        assert RUNS == [
            ("schedule:crashy:2026-01-05T09:00:00", 2),  # ran again, on the second claim
            ("schedule:crashy:2026-01-05T09:00:00", 1),  # the stale run, rolled back
        ]
        successors = crm.jobs.list_jobs(states=["pending"])
        assert [j.idempotency_key for j in successors] == ["schedule:crashy:2026-01-06T09:00:00"]
        assert crm.schedules.get("crashy").enqueued == 2


def test_start_is_idempotent_and_checks_its_arguments() -> None:
    clock = rc.ManualClock(T0)
    with _open("memory://", clock) as crm:
        first = crm.schedules.start("s", "tick", every=timedelta(days=7), anchor=T0)
        assert crm.schedules.start("s", "tick", every=timedelta(days=7), anchor=T0) == first
        assert len(crm.jobs.list_jobs()) == 1
        booted = crm.schedules.start("boot", "tick", every=timedelta(days=1))  # anchor: now
        clock.advance(timedelta(hours=1))
        assert crm.schedules.start("boot", "tick", every=timedelta(days=1)) == booted
        bad: list[dict[str, object]] = [
            {"every": timedelta(days=1)},  # another definition under the same name
            {"name": "x y", "every": timedelta(days=1)},
            {"name": "n", "every": timedelta(hours=5)},
            {"name": "n", "every": relativedelta(months=-1)},
            {"name": "n", "every": timedelta(days=1), "rrule": "FREQ=DAILY"},
            {"name": "n"},
            {"name": "n", "rrule": "FREQ=SECONDLY"},
            {"name": "n", "every": timedelta(days=1), "count": 0},
            {"name": "n", "every": timedelta(days=1), "zone": "Mars/Olympus"},
            {"name": "n", "every": timedelta(days=1), "until": "tomorrow"},
        ]
        for kwargs in bad:
            name = str(kwargs.pop("name", "s"))
            with pytest.raises(ValidationError):
                crm.schedules.start(name, "tick", anchor=T0, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(NotFoundError):
            crm.schedules.cancel("nobody")
        assert [s.name for s in crm.schedules.list()] == ["boot", "s"]
