"""Recurring work on the runner: every occurrence's task once, across DST and worker restarts."""
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta

import relationship_core as rc
from relationship_core import Actor
from relationship_core._work import RecurrenceSeries
from relationship_core._work.series_jobs import OCCURRENCE_QUEUE
from relationship_core._work.service import WorkService

SAM = Actor.person("sam")


def test_schedule_series_creates_each_task_once_across_dst(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        work = WorkService(crm)
        sundays = RecurrenceSeries.on_schedule(
            "report",
            "FREQ=WEEKLY;BYDAY=SU;COUNT=4",
            datetime(2026, 3, 15, 2, 30),
            "Europe/Berlin",
        )
        work.start_series(sundays, "Weekly report", actor=SAM, checklists={"Do": ["Write", "Send"]})
        runner = rc.Runner(crm, queues=[OCCURRENCE_QUEUE], worker="w1")
        clock.set(datetime(2026, 3, 23, tzinfo=UTC))
        assert len(runner.drain()) == 2
        restarted = rc.Runner(crm, queues=[OCCURRENCE_QUEUE], worker="w2")  # a new worker
        clock.set(datetime(2026, 5, 1, tzinfo=UTC))
        assert len(restarted.drain()) == 2
        assert restarted.drain() == []
        tasks = sorted(t.id for t in work.tasks.iterate())
        assert tasks == [
            "report@2026-03-15T02:30:00",
            "report@2026-03-22T02:30:00",
            "report@2026-03-29T03:30:00",  # 02:30 did not exist that night
            "report@2026-04-05T02:30:00",
        ]
        task = work.tasks.get(tasks[0])
        assert (task.title, [i.text for i in task.checklists[0].items]) == (
            "Weekly report",
            ["Write", "Send"],
        )


def test_when_done_series_follows_the_completion(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 2, 8, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        work = WorkService(crm)
        plants = RecurrenceSeries.when_done(
            "plants",
            relativedelta(days=5),
            datetime(2026, 3, 2, 9),
            "Europe/London",
        )
        work.start_series(plants, "Water the plants", actor=SAM)
        runner = rc.Runner(crm, queues=[OCCURRENCE_QUEUE], worker="w")
        clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
        assert len(runner.drain()) == 1
        assert crm.jobs.list_jobs(states=["pending"]) == []  # nothing until it is done
        clock.set(datetime(2026, 3, 4, 15, tzinfo=UTC))
        work.move("plants@2026-03-02T09:00:00", "done", actor=SAM)
        [pending] = crm.jobs.list_jobs(states=["pending"])
        assert pending.due_at == datetime(2026, 3, 9, 15, tzinfo=UTC)
        clock.advance(timedelta(days=5))
        assert len(runner.drain()) == 1
        assert len(list(work.tasks.iterate())) == 2
