"""Recurring work on the runner: every occurrence's task once, across DST and worker restarts."""
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Actor
from relationship_core._app.schedules import SCHEDULES
from relationship_core._storage.contract import NewJob, Record
from relationship_core._work import RecurrenceSeries, Workflow, occurrences
from relationship_core._work.series_jobs import OCCURRENCE_QUEUE, schedule_name
from relationship_core._work.service import WorkService
from relationship_core.exceptions import ValidationError

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


def test_occurrences_come_from_a_durable_schedule_with_the_series_workflow(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    flow = Workflow.from_dict(
        {
            "statuses": ["queued", {"name": "sent", "category": "done"}],
            "transitions": {"queued": ["sent"], "sent": []},
        }
    )
    with rc.open(url, clock=clock) as crm:
        work = WorkService(crm)  # the default workflow; the series names its own
        series = RecurrenceSeries.on_schedule(
            "books", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2", datetime(2026, 3, 31, 17), "Europe/Paris"
        )
        work.start_series(series, "Close the books", actor=SAM, workflow=flow)
        schedule = crm.schedules.get(schedule_name("books"))
        assert (schedule.state, schedule.group, schedule.series_definition()) == (
            "active",
            "series:books",
            series,
        )
        [job] = crm.jobs.list_jobs(states=["pending"])
        assert job.idempotency_key == "schedule:work.series.books:2026-03-31T17:00:00"
        assert job.due_at == datetime(2026, 3, 31, 15, tzinfo=UTC)  # Paris, summer time
        clock.set(datetime(2026, 6, 1, tzinfo=UTC))
        assert len(rc.Runner(crm, queues=[OCCURRENCE_QUEUE]).drain()) == 2
        tasks = sorted(work.tasks.iterate(), key=lambda t: t.id)
        assert [(t.id, t.status) for t in tasks] == [
            ("books@2026-03-31T17:00:00", "queued"),
            ("books@2026-04-30T17:00:00", "queued"),
        ]
        assert tasks[0].workflow == flow
        work.move(tasks[0].id, "sent", actor=SAM)  # the series' workflow, not the default
        assert crm.schedules.get(schedule_name("books")).state == "finished"


def test_when_done_counts_the_latest_completion_once(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        work = WorkService(crm)
        series = RecurrenceSeries.when_done(
            "filter", relativedelta(days=2), datetime(2026, 3, 2, 9), "UTC"
        )
        work.start_series(series, "Change the filter", actor=SAM)
        runner = rc.Runner(crm, queues=[OCCURRENCE_QUEUE])
        assert len(runner.drain()) == 1
        first = "filter@2026-03-02T09:00:00"
        work.move(first, "done", actor=SAM)
        work.move(first, "in progress", actor=SAM)  # reopened and done again: one successor
        clock.advance(timedelta(hours=1))
        work.move(first, "done", actor=SAM)
        [pending] = crm.jobs.list_jobs(states=["pending"])
        assert pending.due_at == datetime(2026, 3, 4, 9, tzinfo=UTC)  # from the first completion


def test_a_series_started_by_older_code_is_taken_over_by_a_schedule(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        series = RecurrenceSeries.on_schedule(
            "old", "FREQ=DAILY;COUNT=3", datetime(2026, 3, 2, 8), "Europe/London"
        )
        template: dict[str, object] = {"title": "Old", "party_id": None, "checklists": {}}
        with crm.unit_of_work() as uow:  # what older code stored: the series and its own job
            uow.add(series)
            uow.enqueue(
                NewJob(
                    OCCURRENCE_QUEUE,
                    {"series": "old", "key": "old@2026-03-02T08:00:00", "template": template},
                    datetime(2026, 3, 2, 8, tzinfo=UTC),
                    idempotency_key="occurrence:old@2026-03-02T08:00:00",
                    group="series:old",
                )
            )
        clock.set(datetime(2026, 3, 9, tzinfo=UTC))
        assert len(rc.Runner(crm, queues=[OCCURRENCE_QUEUE]).drain()) == 3
        assert sorted(t.id for t in WorkService(crm).tasks.iterate()) == [
            "old@2026-03-02T08:00:00",
            "old@2026-03-03T08:00:00",
            "old@2026-03-04T08:00:00",
        ]
        assert crm.schedules.get(schedule_name("old")).state == "finished"


def test_a_layout_1_schedule_reads_as_one_without_a_series() -> None:
    old = {
        "name": "rent", "queue": "tick", "payload": {}, "zone": "UTC",
        "anchor": "2026-01-31T09:00:00", "every_months": 1, "every_days": 0, "rrule": None,
        "count": None, "until": None, "group": "schedule:rent", "max_attempts": 5,
        "state": "active", "enqueued": 1, "last_key": "schedule:rent:2026-01-31T09:00:00",
        "last_index": 0,
    }  # fmt: skip
    schedule = SCHEDULES.from_record(Record("schedule", "rent", 3, 1, old))
    assert (schedule.series, schedule.when_done, schedule.every_months) == (None, False, 1)
    assert SCHEDULES.schema_version == 2


ZONES = ("Europe/London", "America/New_York", "Australia/Sydney")


@settings(max_examples=12, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hour=st.sampled_from([1, 2, 3]),
    minute=st.sampled_from([0, 30]),
    stops=st.lists(st.integers(1, 60), min_size=1, max_size=4),
)
def test_a_daily_series_across_dst_on_a_store_with_restarts(
    zone: str, hour: int, minute: int, stops: list[int]
) -> None:
    start = datetime(2026, 3, 1, hour, minute)  # spans March's and April's changes
    series = RecurrenceSeries.on_schedule("d", "FREQ=DAILY;COUNT=60", start, zone)
    expected = [o.key for o in occurrences(series, datetime(2026, 6, 1, tzinfo=UTC))]
    clock = rc.ManualClock(datetime(2026, 2, 28, tzinfo=UTC))
    with rc.open("memory://", clock=clock) as crm:
        WorkService(crm).start_series(series, "Daily", actor=SAM)
        for n, day in enumerate([*sorted(stops), 62]):  # a new worker at every stop
            clock.set(datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day))
            rc.Runner(crm, queues=[OCCURRENCE_QUEUE], worker=f"w{n}").drain()
        assert sorted(t.id for t in WorkService(crm).tasks.iterate()) == sorted(expected)
        assert len(expected) == 60


def test_a_schedule_takes_one_definition_and_a_series_its_own_zone() -> None:
    series = RecurrenceSeries.on_schedule("s", "FREQ=DAILY", datetime(2026, 3, 2, 8), "UTC")
    with rc.open("memory://") as crm:
        with pytest.raises(ValidationError) as every:
            crm.schedules.start("x", OCCURRENCE_QUEUE, rrule="FREQ=DAILY", series=series)
        assert every.value.field == "every"
        with pytest.raises(ValidationError) as anchor:
            crm.schedules.start("x", OCCURRENCE_QUEUE, series=series, zone="Europe/Paris")
        assert anchor.value.field == "anchor"
        assert crm.schedules.list() == []


def test_a_series_runs_in_the_partys_zone_or_the_businesss() -> None:
    with rc.open("memory://") as crm:
        kiri = crm.parties.add(rc.Person(name="Kiri", time_zone="Pacific/Kiritimati"))
        work = WorkService(crm)
        assert work.zone_of(kiri.id).key == "Pacific/Kiritimati"
        assert work.zone_of().key == "UTC"  # no business stored: the default one's
