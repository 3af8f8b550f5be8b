"""The story `relationship-core demo` tells: the library's main job, end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import (
    Channel,
    Engagement,
    Interaction,
    last_contact,
)
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.ids import IdGenerator
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Organisation, Person

Write = Callable[[str], None]


def _heading(write: Write, text: str) -> None:
    write("")
    write(text)
    write("-" * len(text))


def _event_line(event: DomainEvent) -> str:
    return f"  {event.occurred_at:%Y-%m-%d %H:%M} UTC  {event.name:<22} {event.aggregate_id[-6:]}"


def run_domain_story(write: Write) -> list[DomainEvent]:
    """Walk a customer's life with the business and print it; return the events it produced."""
    clock = ManualClock(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    new_id = IdGenerator(clock)
    events: list[DomainEvent] = []
    interactions: list[Interaction] = []

    _heading(write, "1. A customer buys")
    ada = Person(
        id=new_id(),
        name="Ada Lovelace",
        emails=["ada@analytical.example"],
        time_zone="Europe/London",
        tags=["design", "newsletter"],
    )
    acme = Organisation(id=new_id(), name="Analytical Engines Ltd", time_zone="Europe/London")
    acme.add_contact(
        ada, title="Head of Operations", decision_maker=True, valid_from=date(2026, 1, 5)
    )
    engagement = Engagement.start(
        acme,
        id=new_id(),
        kind="customer",
        acquired_on=clock.now().date(),
        at=clock.now(),
        sales_rep="sam.sales",
        support_team="support-desk",
    )
    order_total = sum([Money("49.00", "GBP"), Money("49.00", "GBP"), Money("12.50", "GBP")])
    interactions.append(
        engagement.log_interaction(
            Channel.FORM,
            at=clock.now(),
            summary=f"web order: 2 workshop kits + 1 guide, {order_total}",
            by=None,
            id=new_id(),
        )
    )
    write(f"  {acme.name} ({acme.id[-6:]}) bought for {order_total}.")
    write(f"  Contact and decision maker: {ada.name} <{ada.email}>, {acme.contacts[0].title}.")
    write(
        f"  Engagement: {engagement.kind.value}, served by {engagement.served_by}, rep {engagement.sales_rep}."
    )

    _heading(write, "2. Conversations")
    for days, channel, summary in [
        (9, Channel.EMAIL, "asked about tailored training"),
        (16, Channel.CALL, "scoping call: quarterly advisory"),
        (23, Channel.MEETING, "proposal walkthrough at their office"),
    ]:
        clock.set(datetime(2026, 1, 5, 9, 30, tzinfo=UTC) + timedelta(days=days))
        interactions.append(
            engagement.log_interaction(
                channel, at=clock.now(), summary=summary, by="sam.sales", id=new_id()
            )
        )
        write(f"  {clock.now():%d %b}  {channel.value:<8} {summary}")
    write(
        f"  Last contact (derived from interactions): {last_contact(interactions):%Y-%m-%d %H:%M} UTC"
    )

    _heading(write, "3. Promoted to client")
    clock.advance(timedelta(days=3))
    change = engagement.promote_to_client(
        account_manager="amy.manager", reason="signed a monthly advisory retainer", at=clock.now()
    )
    write(
        f"  On {change.on:%d %b %Y}: {change.from_kind.value} -> {change.to_kind.value} ({change.reason})."
    )
    write(f"  Now served by a dedicated account manager: {engagement.served_by}.")
    write(f"  Still a customer too? {engagement.kind.is_customer}.")

    _heading(write, "4. A lapse")
    clock.set(datetime(2026, 9, 30, 17, 0, tzinfo=UTC))
    change = engagement.lapse_to_customer(reason="budget frozen for next year", at=clock.now())
    write(
        f"  On {change.on:%d %b %Y}: {change.from_kind.value} -> {change.to_kind.value} ({change.reason})."
    )
    write(
        f"  Served by {engagement.served_by} again; history keeps {len(engagement.history)} changes."
    )

    events.extend(engagement.pull_events())
    _heading(write, "Domain events recorded")
    for event in events:
        write(_event_line(event))
    return events
