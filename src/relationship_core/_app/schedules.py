"""Durable schedules: a series of jobs, each occurrence enqueued when the previous one completes.

A `Schedule` is a stored record (kind ``schedule``, contributed by the core
plugin), so it survives restarts. Its occurrences are local wall times in its
IANA zone, either ``anchor + k * every`` (computed from the anchor, never
chained, so "every month from 31 January" gives 28 February, then 31 March)
or an RFC 5545 rule, or a work `RecurrenceSeries` (its rule with its
roll to working days, or "when done": each next occurrence a delay after
the previous one was done, enqueued by `occurrence_done`); all are placed on
the time line alike (`place_wall_time`: a skipped wall time moves forward, a
repeated one is taken once, at ``fold=0``).

Only one occurrence is pending at a time. The runner completes a job inside
its unit of work; for a scheduled job it also calls `on_job_complete` there,
which enqueues the NEXT occurrence and advances the record in the same
transaction. A lost lease (crash, takeover, cancellation) rolls all of it
back, and each occurrence's idempotency key ``schedule:<name>:<local ISO>``
stops a successor from being enqueued twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from relationship_core._app.mapping import KindMapping
from relationship_core._app.repository import require_store
from relationship_core._domain.timeutil import require_aware, to_zone
from relationship_core._domain.validators import check_text
from relationship_core._storage.contract import Job, NewJob
from relationship_core._storage.protocols import require_job_control
from relationship_core._work.kinds import series_document, series_from_document
from relationship_core._work.recurrence import (
    Mode,
    RecurrenceSeries,
    next_occurrence,
    place_wall_time,
)
from relationship_core.exceptions import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.session import OpenStore
    from relationship_core._app.uow import UnitOfWork

__all__ = [
    "SCHEDULES",
    "Schedule",
    "ScheduleState",
    "Schedules",
    "begin",
    "key_of",
    "new_schedule",
    "occurrence_done",
    "on_job_complete",
]

#: ``active`` (an occurrence is pending or running), ``finished`` (count or until
#: reached, or the rule ended), ``cancelled``.
ScheduleState = Literal["active", "finished", "cancelled"]
KEY_PREFIX = "schedule:"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
_CANCEL_TRIES = 5


@attrs.define(kw_only=True)
class Schedule:
    """A stored series of jobs (see the module docs); build one with `Schedules.start`.

    Attributes:
        name: Unique, part of every occurrence's key; letters, digits, ``._/-``.
        queue: The queue of its jobs.
        payload: Every job's payload.
        zone: The IANA zone its wall times are read in.
        anchor: The first occurrence's local wall time (ISO, no offset).
        every_months: Months between occurrences (years count 12).
        every_days: Days between occurrences (weeks count 7).
        rrule: An RFC 5545 RRULE line instead (``"FREQ=WEEKLY;BYDAY=MO,TH"``).
        series: Or a work `RecurrenceSeries`, as its stored document (its
            zone and start are *zone* and *anchor*); see `series_definition`.
        count: At most this many occurrences (``None``: no limit).
        until: No occurrence after this instant (inclusive; ``None``: no end).
        group: The job group; cancelling the schedule cancels it.
        max_attempts: Each job's attempts before it is dead-lettered (which stops the series).
        state: ``active``, ``finished`` or ``cancelled``.
        enqueued: Occurrences enqueued so far.
        last_key: The idempotency key of the latest occurrence enqueued.
        last_index: For ``every``: the latest occurrence's *k*.
    """

    name: str
    queue: str
    payload: dict[str, Any]
    zone: str
    anchor: str
    every_months: int = 0
    every_days: int = 0
    rrule: str | None = None
    series: dict[str, Any] | None = None
    count: int | None = None
    until: datetime | None = None
    group: str
    max_attempts: int = 5
    state: str = "active"
    enqueued: int = 0
    last_key: str | None = None
    last_index: int = 0

    def definition(self) -> dict[str, Any]:
        """What was asked for (not the progress): equal definitions make `start` idempotent."""
        keep = ("queue", "payload", "zone", "anchor", "every_months", "every_days", "rrule")
        more = ("series", "count", "until", "group", "max_attempts")
        return {k: getattr(self, k) for k in (*keep, *more)}

    def series_definition(self) -> RecurrenceSeries | None:
        """The work series this schedule runs (``None`` for ``every`` and ``rrule``)."""
        return None if self.series is None else series_from_document(self.series)

    @property
    def when_done(self) -> bool:
        """Each next occurrence waits for `occurrence_done` (a "when done" series)."""
        return self.series is not None and self.series.get("mode") == Mode.WHEN_DONE.value


def _layout_2(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 had no work series: every schedule was ``every`` or ``rrule``."""
    return {**data, "series": None}


SCHEDULES: KindMapping[Schedule] = KindMapping(
    "schedule",
    Schedule,
    indexed={"state": ("str", lambda s: s.state), "queue": ("str", lambda s: s.queue)},
    id_of=lambda s: s.name,
    schema_version=2,
    upgrades={1: _layout_2},
)


def key_of(name: str, local: datetime) -> str:
    """``schedule:<name>:<local ISO>``: the idempotency key of one occurrence."""
    return f"{KEY_PREFIX}{name}:{local.isoformat()}"


def _step(every: object) -> tuple[int, int]:
    """``(months, days)`` of a positive whole-day step (relativedelta or timedelta)."""
    if isinstance(every, timedelta):
        if every <= timedelta(0) or every % timedelta(days=1):
            raise ValidationError("every", every, "whole days, e.g. timedelta(days=7)")
        return 0, every.days
    if not isinstance(every, relativedelta):
        raise ValidationError("every", every, "e.g. relativedelta(months=1) or timedelta(days=7)")
    clock = (every.hours, every.minutes, every.seconds, every.microseconds)
    absolute = (every.year, every.month, every.day, every.weekday, every.hour, every.minute)
    if any(clock) or any(v is not None for v in absolute) or every.leapdays:
        raise ValidationError("every", every, "only years, months, weeks and days, e.g. months=1")
    months, days = every.years * 12 + every.months, every.days
    if months < 0 or days < 0 or not months + days:
        raise ValidationError("every", every, "a positive step, e.g. relativedelta(weeks=2)")
    return months, days


def _wall(value: object, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError("anchor", value, "a datetime: local wall time (naive) or aware")
    if value.tzinfo is not None:
        value = require_aware("anchor", value).astimezone(zone).replace(tzinfo=None)
    return value.replace(microsecond=0, fold=0)


def _until(value: object, zone: ZoneInfo) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return None if value is None else require_aware("until", value)
    if isinstance(value, date):  # the whole local day
        return place_wall_time(datetime.combine(value, datetime.max.time()), zone).replace(
            microsecond=0
        )
    raise ValidationError("until", value, "a date (the last local day) or an aware datetime")


def _series(s: Schedule) -> RecurrenceSeries:
    return RecurrenceSeries.on_schedule(
        s.name, s.rrule or "", datetime.fromisoformat(s.anchor), s.zone
    )


def _following(
    s: Schedule, completed_at: datetime | None = None
) -> tuple[datetime, datetime, int] | None:
    """The occurrence after the latest one: ``(local, instant, k)``, or ``None`` at the end."""
    zone = ZoneInfo(s.zone)
    work = s.series_definition()
    if work is not None:
        last = None if s.last_key is None else f"{work.id}@{s.last_key[-19:]}"
        found = next_occurrence(work, last, completed_at=completed_at)
        return None if found is None else (found.local, found.at, 0)
    if s.rrule is not None:
        # The key ends with the local ISO (19 characters; it holds ':' itself).
        last = None if s.last_key is None else f"{s.name}@{s.last_key[-19:]}"
        found = next_occurrence(_series(s), last)
        return None if found is None else (found.local, found.at, 0)
    anchor = datetime.fromisoformat(s.anchor)
    previous = None
    if s.last_key is not None:
        previous = place_wall_time(datetime.fromisoformat(s.last_key[-19:]), zone)
    k = s.last_index + 1 if s.last_key is not None else 0
    while True:
        wall = anchor + relativedelta(months=s.every_months * k, days=s.every_days * k)
        at = place_wall_time(wall, zone)
        if previous is None or at > previous:  # instants strictly increase
            return at.replace(tzinfo=None, fold=0), at, k
        k += 1


def _advance(s: Schedule, completed_at: datetime | None = None) -> NewJob | None:
    """Move *s* to its next occurrence and the job for it; ``None`` (and finished) at the end."""
    ended = s.count is not None and s.enqueued >= s.count
    nxt = None if ended else _following(s, completed_at)
    if nxt is None or (s.until is not None and nxt[1] > s.until):
        s.state = "finished"
        return None
    local, at, k = nxt
    s.enqueued += 1
    s.last_key = key_of(s.name, local)
    s.last_index = k
    return NewJob(s.queue, s.payload, at, s.last_key, s.max_attempts, group=s.group)


def on_job_complete(job: Job, uow: UnitOfWork) -> None:
    """In the unit of work completing *job*: if it is a schedule's latest occurrence, enqueue the next.

    Called by the runner after the handler, whatever the handler did: an old
    occurrence (a requeued dead letter), a cancelled or finished schedule, or
    a store without the ``schedule`` kind enqueue nothing.
    """
    key = job.idempotency_key
    if key is None or not key.startswith(KEY_PREFIX) or "schedule" not in uow._crm.registry:
        return
    name = key[len(KEY_PREFIX) :].split(":", 1)[0]
    schedule = uow.repository(SCHEDULES).find(name)
    if schedule is None or schedule.state != "active" or schedule.last_key != key:
        return
    if schedule.when_done:  # the next one waits for this one to be done
        return
    successor = _advance(schedule)
    if successor is not None:
        uow.enqueue(successor)


def occurrence_done(uow: UnitOfWork, name: str, local: datetime, completed_at: datetime) -> bool:
    """A "when done" schedule's occurrence at *local* was done: enqueue the next, from *completed_at*.

    Only the latest occurrence counts, once: done again (reopened and closed),
    or an older one, enqueues nothing (``False``); so does a schedule that is
    not "when done", cancelled or finished.
    """
    schedule = uow.repository(SCHEDULES).find(name)
    if schedule is None or schedule.state != "active" or not schedule.when_done:
        return False
    if schedule.last_key != key_of(name, local):
        return False
    successor = _advance(schedule, require_aware("completed_at", completed_at))
    if successor is not None:
        uow.enqueue(successor)
    return True


def begin(uow: UnitOfWork, schedule: Schedule, *, after: datetime | None = None) -> Schedule:
    """Store a new *schedule* in *uow* and enqueue its first occurrence.

    With *after* (a local wall time), its occurrences up to *after* count as
    enqueued already (a series taken over from older code): the next one is
    enqueued, or, for "when done", none until `occurrence_done`.
    """
    if after is not None:
        schedule.enqueued, schedule.last_key = 1, key_of(schedule.name, after)
    first = None if after is not None and schedule.when_done else _advance(schedule)
    uow.repository(SCHEDULES).add(schedule)
    if first is not None:
        uow.enqueue(first)
    return schedule


def new_schedule(
    name: str,
    queue: str,
    payload: Mapping[str, Any] | None,
    *,
    every: relativedelta | timedelta | None = None,
    rrule: str | None = None,
    series: RecurrenceSeries | None = None,
    zone: ZoneInfo | str = "UTC",
    anchor: datetime | None = None,
    count: int | None = None,
    until: date | datetime | None = None,
    group: str | None = None,
    max_attempts: int = 5,
) -> Schedule:
    """A checked, not yet stored `Schedule` (`Schedules.start` documents the arguments)."""
    check_text("name", name)
    if not _NAME.fullmatch(name):
        raise ValidationError("name", name, "letters, digits and ._/- (at most 100)")
    check_text("queue", queue)
    if sum(x is not None for x in (every, rrule, series)) != 1:
        raise ValidationError("every", every, "give exactly one of every=, rrule= or series=")
    if series is not None:
        if not isinstance(series, RecurrenceSeries):
            raise ValidationError("series", series, "give a RecurrenceSeries")
        if anchor is not None or zone != "UTC":
            raise ValidationError("anchor", anchor, "a series gives its own zone and start")
        zone, anchor = series.time_zone, series.start
    tz = to_zone("zone", zone)
    months, days = (0, 0) if every is None else _step(every)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValidationError("count", count, "an int >= 1, or None for no limit")
    schedule = Schedule(
        name=name,
        queue=queue,
        payload=dict(payload or {}),
        zone=tz.key,
        anchor=_wall(anchor, tz).isoformat(),
        every_months=months,
        every_days=days,
        rrule=rrule,
        series=None if series is None else series_document(series),
        count=count,
        until=_until(until, tz),
        group=check_text("group", group) if group is not None else f"{KEY_PREFIX}{name}",
        max_attempts=max_attempts,
    )
    if rrule is not None:
        _series(schedule)  # a ValidationError naming the rule, before anything is stored
    return schedule


class Schedules:
    """``crm.schedules``: start, cancel and list durable schedules."""

    def __init__(self, crm: OpenStore) -> None:
        require_store("crm", crm)
        self._crm = crm

    def start(
        self,
        name: str,
        queue: str,
        payload: Mapping[str, Any] | None = None,
        *,
        every: relativedelta | timedelta | None = None,
        rrule: str | None = None,
        series: RecurrenceSeries | None = None,
        zone: ZoneInfo | str = "UTC",
        anchor: datetime | None = None,
        count: int | None = None,
        until: date | datetime | None = None,
        group: str | None = None,
        max_attempts: int = 5,
    ) -> Schedule:
        """Store a schedule and enqueue its first occurrence, in one transaction.

        Starting a name again with the same definition returns the stored
        schedule (so an application may start its schedules at every boot);
        with another definition it is refused: cancel it, or pick a new name.

        Args:
            name: Unique; part of each occurrence's key.
            queue: The queue of its jobs (a feature's `JobHandlerSpec`).
            payload: Every job's payload (JSON-able).
            every: A step of whole days, weeks, months or years.
            rrule: Or an RFC 5545 RRULE line, without DTSTART.
            series: Or a work `RecurrenceSeries` (its zone and start are the
                schedule's: give neither *zone* nor *anchor*); a "when done"
                one enqueues each next occurrence at `occurrence_done`.
            zone: The IANA zone of its wall times.
            anchor: The first occurrence: a local wall time (naive) or aware
                (default: now, in *zone*; when the schedule is stored already,
                its anchor).
            count: At most this many occurrences.
            until: None after this: a date (its whole local day) or an aware datetime.
            group: The job group (default ``schedule:<name>``).
            max_attempts: Each job's attempts.
        """
        require_job_control(self._crm.backend)
        schedule = new_schedule(
            name, queue, payload, every=every, rrule=rrule, series=series, zone=zone,
            anchor=anchor if anchor is not None or series is not None else self._crm.clock.now(),
            count=count, until=until, group=group, max_attempts=max_attempts,
        )  # fmt: skip
        with self._crm.unit_of_work() as uow:
            stored = uow.repository(SCHEDULES).find(name)
            if stored is not None:
                if anchor is None and series is None:  # "from now" at every boot: the stored now
                    schedule.anchor = stored.anchor
                if stored.definition() != schedule.definition():
                    raise ValidationError(
                        "name", name, "a schedule with another definition has this name"
                    )
                return stored
            begin(uow, schedule)
        return schedule

    def cancel(self, name: str, uow: UnitOfWork | None = None) -> Schedule:
        """Stop the schedule: its pending and running occurrences are cancelled (the group).

        Pass the handler's *uow* to stop it from inside one of its own jobs
        (that job still completes; no successor is enqueued).
        """
        if uow is not None:
            return self._cancel(name, uow)
        for attempt in range(_CANCEL_TRIES):  # a completing occurrence may race us
            try:
                with self._crm.unit_of_work() as own:
                    return self._cancel(name, own)
            except ConflictError:
                if attempt == _CANCEL_TRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _cancel(self, name: str, uow: UnitOfWork) -> Schedule:
        schedule = uow.repository(SCHEDULES).find(check_text("name", name))
        if schedule is None:
            raise NotFoundError("schedule", name)
        schedule.state = "cancelled"
        uow.cancel_group(schedule.group)
        return schedule

    def get(self, name: str) -> Schedule:
        """The schedule named *name* (``NotFoundError`` if none)."""
        return self._crm.repository(SCHEDULES).get(name)

    def list(self, *, state: ScheduleState | None = None) -> list[Schedule]:
        """Every schedule (in *state*), by name."""
        repo = self._crm.repository(SCHEDULES)
        return list(repo.iterate() if state is None else repo.iterate(state=state))
