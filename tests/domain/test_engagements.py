"""Engagements: client vs customer, promotion and lapse, interactions, events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationship_core import (
    Channel,
    ClientLapsed,
    CustomerPromoted,
    Engagement,
    EngagementKind,
    EngagementStarted,
    InteractionLogged,
    Person,
    last_contact,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError
from relationship_core.testing import strategies as rcst

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def customer() -> Engagement:
    person = Person(name="Ada", time_zone="Asia/Tokyo")
    return Engagement.start(
        person, kind="customer", acquired_on=date(2026, 1, 5), at=AT, support_team="desk"
    )


def test_every_client_is_a_customer() -> None:
    assert EngagementKind.CUSTOMER.includes(EngagementKind.CLIENT)
    assert EngagementKind.CUSTOMER.includes(EngagementKind.CUSTOMER)
    assert EngagementKind.CLIENT.includes(EngagementKind.CLIENT)
    assert not EngagementKind.CLIENT.includes(EngagementKind.CUSTOMER)
    assert all(kind.is_customer for kind in EngagementKind)


def test_who_serves_is_required_by_kind() -> None:
    with pytest.raises(ValidationError) as info:
        Engagement(party_id="p", kind="client", acquired_on=date(2026, 1, 1))
    assert info.value.field == "account_manager"
    with pytest.raises(ValidationError) as info:
        Engagement(party_id="p", kind="customer", acquired_on=date(2026, 1, 1))
    assert info.value.field == "support_team"
    with pytest.raises(ValidationError) as info:
        Engagement(party_id="p", kind="partner", acquired_on=date(2026, 1, 1))
    assert (info.value.field, info.value.value) == ("kind", "partner")


def test_start_records_event_and_takes_party_time_zone() -> None:
    engagement = customer()
    assert engagement.time_zone == ZoneInfo("Asia/Tokyo")
    assert engagement.served_by == "desk"
    (event,) = engagement.pull_events()
    assert isinstance(event, EngagementStarted)
    assert event.kind is EngagementKind.CUSTOMER
    assert engagement.pull_events() == []


def test_promotion_and_lapse_are_recorded_with_day_and_reason() -> None:
    engagement = customer()
    engagement.pull_events()
    change = engagement.promote_to_client(account_manager="amy", reason="signed retainer", at=AT)
    # 23:30 UTC on 1 March is 2 March in Tokyo: the account's zone decides the day
    assert change.on == date(2026, 3, 2)
    assert engagement.is_client
    assert engagement.served_by == "amy"
    later = AT + timedelta(days=200)
    engagement.lapse_to_customer(reason="budget cut", at=later)
    assert engagement.kind is EngagementKind.CUSTOMER
    assert engagement.account_manager is None
    assert engagement.served_by == "desk"
    promoted, lapsed = engagement.pull_events()
    assert isinstance(promoted, CustomerPromoted)
    assert promoted.reason == "signed retainer"
    assert isinstance(lapsed, ClientLapsed)
    assert [(h.from_kind, h.to_kind) for h in engagement.history] == [
        (EngagementKind.CUSTOMER, EngagementKind.CLIENT),
        (EngagementKind.CLIENT, EngagementKind.CUSTOMER),
    ]


def test_invalid_moves_name_the_allowed_ones() -> None:
    engagement = customer()
    with pytest.raises(InvalidTransitionError) as info:
        engagement.lapse_to_customer(reason="x", at=AT)
    assert info.value.allowed == ("client",)
    engagement.promote_to_client(account_manager="amy", reason="x", at=AT)
    with pytest.raises(InvalidTransitionError, match="allowed moves: customer"):
        engagement.promote_to_client(account_manager="bob", reason="again", at=AT)
    with pytest.raises(ValidationError) as err:
        engagement.lapse_to_customer(reason="x", at=AT, on=date(2025, 1, 1))
    assert err.value.field == "on"
    assert engagement.is_client  # the refused change left nothing behind


def test_fields_cannot_be_assigned_directly() -> None:
    engagement = customer()
    with pytest.raises(AttributeError):
        engagement.kind = EngagementKind.CLIENT
    assert engagement.kind is EngagementKind.CUSTOMER


def test_naive_datetimes_are_refused() -> None:
    engagement = customer()
    naive = datetime(2026, 1, 1, 12)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError) as info:
        engagement.log_interaction("call", at=naive)
    assert info.value.field == "occurred_at"
    with pytest.raises(ValidationError, match="naive"):
        engagement.promote_to_client(account_manager="amy", reason="x", at=naive)


def test_assign_keeps_invariants() -> None:
    engagement = customer()
    engagement.assign(sales_rep="sam", support_team="tier2")
    assert (engagement.sales_rep, engagement.support_team) == ("sam", "tier2")
    with pytest.raises(ValidationError):
        engagement.assign(account_manager="amy")


def test_last_contact_is_derived_from_interactions() -> None:
    engagement = customer()
    engagement.pull_events()
    logged = [
        engagement.log_interaction(channel, at=AT + timedelta(hours=h), summary=channel.value)
        for h, channel in [(5, Channel.CALL), (1, Channel.EMAIL), (9, Channel.FORM)]
    ]
    assert last_contact(logged) == AT + timedelta(hours=9)
    assert last_contact([]) is None
    events = engagement.pull_events()
    assert all(isinstance(e, InteractionLogged) for e in events)
    assert [e.interaction_id for e in events] == [i.id for i in logged]  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as info:
        engagement.log_interaction("pigeon", at=AT)
    assert info.value.field == "channel"


@given(st.lists(rcst.interactions(), min_size=1, max_size=10))
def test_last_contact_is_the_latest(interactions: list) -> None:  # type: ignore[type-arg]
    assert last_contact(interactions) == max(i.occurred_at for i in interactions)
