"""SLA clocks in working hours: worked examples, and agreement with a brute-force count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._domain.business import WorkingCalendar
from relationship_core._support import (
    FormSubmission,
    SlaPolicy,
    SlaTarget,
    Ticket,
    TimerKind,
    select_policy,
    sla_state,
)

CAL = WorkingCalendar("Europe/London")  # 09:00-17:00 weekdays
MON = datetime(2026, 3, 2, 9, tzinfo=UTC)
POLICY = SlaPolicy(
    name="high",
    first_response=timedelta(hours=4),
    resolution=timedelta(hours=16),
    priorities=["high"],
)


def _ticket(at: datetime = MON) -> Ticket:
    form = FormSubmission(name="Ada", email="ada@example.com", problem="?", priority="high")
    return Ticket.open(form, at=at, id="K-1")


def test_clock_pauses_while_pending_on_customer() -> None:
    ticket = _ticket()
    ticket.assign("sam", by="lead", at=MON)
    ticket.respond(by="sam", at=MON + timedelta(hours=1))
    ticket.move("pending_customer", by="sam", at=MON + timedelta(hours=2))
    paused = sla_state(ticket, POLICY, CAL, MON + timedelta(days=1))
    resolution = paused.target(SlaTarget.RESOLUTION)
    assert resolution.elapsed == timedelta(hours=2)
    assert not resolution.running
    assert resolution.due_at is None
    assert paused.timers == ()
    assert paused.target("first_response").met
    ticket.move("assigned", by="sam", at=MON + timedelta(days=1))  # Tuesday 09:00
    running = sla_state(ticket, POLICY, CAL, MON + timedelta(days=1))
    r = running.target(SlaTarget.RESOLUTION)
    assert r.due_at == datetime(2026, 3, 4, 15, tzinfo=UTC)  # 14 h left: Tue 8 h + Wed 6 h
    assert r.near_breach_at == datetime(2026, 3, 4, 11, 48, tzinfo=UTC)  # 80 % of 16 h = 12 h 48
    assert [t.kind for t in running.timers] == [TimerKind.NEAR_BREACH, TimerKind.BREACH]
    assert running.timers[1].key == "sla:K-1:resolution:breach:2026-03-04T15:00:00+00:00"


def test_breach_first_and_total_resolution_after_reopen() -> None:
    ticket = _ticket()
    late = sla_state(ticket, POLICY, CAL, MON + timedelta(hours=5))
    fr = late.target(SlaTarget.FIRST_RESPONSE)
    assert fr.breached
    assert fr.remaining == timedelta(hours=-1)
    assert fr.due_at == MON + timedelta(hours=4)
    ticket.move("resolved", by="sam", at=MON + timedelta(hours=6))
    ticket.reopen(by="ada", at=MON + timedelta(days=1))
    ticket.move("resolved", by="sam", at=MON + timedelta(days=1, hours=3))
    done = sla_state(ticket, POLICY, CAL, MON + timedelta(days=2))
    assert done.first_resolution_time == timedelta(hours=6)
    assert done.total_resolution_time == timedelta(hours=9)
    assert not done.target("resolution").breached
    assert select_policy([POLICY], ticket) is POLICY


SLOT = timedelta(minutes=15)
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Chatham", "UTC"]


@st.composite
def _windows(draw: st.DrawFn) -> tuple[str, ...]:
    hours = []
    for _ in range(7):
        if draw(st.booleans()):
            hours.append("")
            continue
        a = draw(st.integers(0, 94))
        b = draw(st.integers(a + 1, 95))
        hours.append(f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}")
    return tuple(hours)


@settings(max_examples=25, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hours=_windows(),
    holiday_offsets=st.lists(st.integers(0, 3), max_size=2),
    start_slot=st.integers(0, 4 * 24 * 60),
    pauses=st.lists(st.integers(1, 40), min_size=0, max_size=6),
    length=st.integers(1, 4 * 24 * 3),
    goal_slots=st.integers(1, 60),
)
def test_sla_matches_brute_force_count(
    *,
    zone: str,
    hours: tuple[str, ...],
    holiday_offsets: list[int],
    start_slot: int,
    pauses: list[int],
    length: int,
    goal_slots: int,
) -> None:
    base = datetime(2026, 3, 26, tzinfo=UTC) + start_slot * timedelta(
        minutes=1
    )  # around March DST changes
    base = base.replace(minute=base.minute - base.minute % 15, second=0, microsecond=0)
    calendar = WorkingCalendar(
        zone, hours, [date(2026, 3, 27) + timedelta(days=d) for d in holiday_offsets]
    )
    ticket = _ticket(base)
    now = base + length * SLOT
    # alternate pending-on-customer and assigned at the drawn slot gaps
    at, paused, status = base, [], "assigned"
    for gap in pauses:
        at += gap * SLOT
        if at >= now:
            break
        status = "pending_customer" if status == "assigned" else "assigned"
        ticket.move(status, by="x", at=at)
        paused.append(at)
    policy = SlaPolicy(name="p", resolution=goal_slots * SLOT)
    state = sla_state(ticket, policy, calendar, now)
    # brute force: count 15-minute slots that are working time and not pending on the customer
    elapsed, slot, due = timedelta(0), base, None
    while slot < now:
        pending = sum(p <= slot for p in paused) % 2 == 1
        if not pending and calendar.is_working_time(slot):
            elapsed += SLOT
            if due is None and elapsed == policy.resolution:
                due = slot + SLOT
        slot += SLOT
    target = state.target("resolution")
    assert target.elapsed == elapsed
    assert target.remaining == goal_slots * SLOT - elapsed
    if due is not None:
        assert target.due_at == due
        assert target.breached == (elapsed >= goal_slots * SLOT)
    elif target.running and any(calendar.hours):
        assert target.due_at is not None
        assert calendar.working_time_between(now, target.due_at) == goal_slots * SLOT - elapsed


def test_public_holidays_from_the_holidays_package() -> None:
    import pytest

    from relationship_core import public_holidays
    from relationship_core.exceptions import ValidationError

    days = public_holidays("gb", [2026], subdivision="ENG")
    assert date(2026, 12, 25) in days
    assert days == tuple(sorted(days))
    cal = WorkingCalendar("Europe/London", holidays=days)
    assert cal.working_time_between(
        datetime(2026, 12, 24, 9, tzinfo=UTC), datetime(2026, 12, 29, 9, tzinfo=UTC)
    ) == timedelta(hours=8)  # the 24th only: 25th, the weekend, 28th (Boxing Day moved)
    with pytest.raises(ValidationError, match="country"):
        public_holidays("XX", [2026])
    with pytest.raises(ValidationError, match="subdivision"):
        public_holidays("GB", [2026], subdivision="ZZZ")
    with pytest.raises(ValidationError, match="years"):
        public_holidays("GB", ["2026"])  # type: ignore[list-item]


def test_update_clock_restarts_at_every_contact() -> None:
    policy = SlaPolicy(name="u", update=timedelta(hours=2))
    ticket = _ticket()
    ticket.respond(by="sam", at=MON + timedelta(hours=1))
    state = sla_state(ticket, policy, CAL, MON + timedelta(hours=2)).target(SlaTarget.UPDATE)
    assert (state.elapsed, state.due_at) == (timedelta(hours=1), MON + timedelta(hours=3))
    ticket.move("pending_customer", by="sam", at=MON + timedelta(hours=2))
    ticket.customer_wrote(at=MON + timedelta(hours=5))  # pending on us again, from 14:00
    assert ticket.status.value == "pending_us"
    state = sla_state(ticket, policy, CAL, MON + timedelta(hours=7)).target("update")
    assert (state.elapsed, state.breached, state.running) == (timedelta(hours=2), True, True)
    ticket.move("resolved", by="sam", at=MON + timedelta(hours=7))
    assert sla_state(ticket, policy, CAL, MON + timedelta(hours=8)).target("update").met


@settings(max_examples=40, deadline=None)
@given(
    hours=_windows(),
    actions=st.lists(
        st.tuples(st.integers(1, 30), st.sampled_from(["pause", "resume", "answer", "customer"])),
        max_size=8,
    ),
    length=st.integers(1, 3 * 24 * 4),
    goal_slots=st.integers(1, 40),
)
def test_update_clock_matches_brute_force_count(
    *, hours: tuple[str, ...], actions: list[tuple[int, str]], length: int, goal_slots: int
) -> None:
    calendar = WorkingCalendar("Europe/Berlin", hours)
    base = datetime(2026, 3, 27, 6, tzinfo=UTC)  # across the change of the 29th
    ticket, now = _ticket(base), base + length * SLOT
    at, timeline = base, []
    for gap, action in actions:
        at += gap * SLOT
        if at >= now:
            break
        if action == "pause" and ticket.status.value != "pending_customer":
            ticket.move("pending_customer", by="x", at=at)
        elif action == "resume" and ticket.status.value == "pending_customer":
            ticket.move("pending_us", by="x", at=at)
        elif action == "answer":
            ticket.respond(by="x", at=at)
        elif action == "customer":
            ticket.customer_wrote(at=at)
        timeline.append((at, ticket.status.value == "pending_customer"))
    policy = SlaPolicy(name="p", update=goal_slots * SLOT)
    state = sla_state(ticket, policy, calendar, now).target(SlaTarget.UPDATE)
    # brute force: working, unpaused 15-minute slots since the latest contact
    since = max([base, *ticket.responses, *ticket.customer_contacts])
    elapsed, slot = timedelta(0), base
    while slot < now:
        paused = next((p for t, p in reversed(timeline) if t <= slot), False)
        if slot >= since and not paused and calendar.is_working_time(slot):
            elapsed += SLOT
        slot += SLOT
    assert state.elapsed == elapsed
    assert state.breached == (elapsed >= goal_slots * SLOT)
