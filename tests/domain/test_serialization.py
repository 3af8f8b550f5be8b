"""Every value object and aggregate round-trips through its serialised (JSON) form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given

from relationship_core import Engagement, Organisation, Party, Person
from relationship_core._serialize import event_from_dict, event_to_dict, structure, unstructure
from relationship_core.exceptions import ValidationError
from relationship_core.testing import strategies as rcst


def through_json(obj: object) -> Any:
    return json.loads(json.dumps(unstructure(obj)))


@given(rcst.persons())
def test_person_round_trip(person: Person) -> None:
    assert structure(through_json(person), Person) == person


@given(rcst.organisations())
def test_organisation_round_trip(org: Organisation) -> None:
    back = structure(through_json(org), Party)
    assert type(back) is Organisation
    assert back == org


@given(rcst.engagements())
def test_engagement_round_trip(engagement: Engagement) -> None:
    assert structure(through_json(engagement), Engagement) == engagement


@given(rcst.interactions())
def test_interaction_round_trip(interaction: object) -> None:
    assert structure(through_json(interaction), type(interaction)) == interaction


@given(rcst.contact_roles())
def test_contact_role_round_trip(role: object) -> None:
    assert structure(through_json(role), type(role)) == role


def test_events_round_trip_by_name() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    engagement = Engagement.start(
        "p1", kind="customer", acquired_on=date(2026, 1, 1), at=at, support_team="desk"
    )
    engagement.promote_to_client(account_manager="amy", reason="signed", at=at)
    engagement.log_interaction("meeting", at=at)
    for event in engagement.pull_events():
        data = json.loads(json.dumps(event_to_dict(event)))
        assert event_from_dict(data) == event


def test_pending_events_are_not_stored() -> None:
    engagement = Engagement.start(
        "p1",
        kind="customer",
        acquired_on=date(2026, 1, 1),
        at=datetime(2026, 1, 1, tzinfo=UTC),
        support_team="desk",
    )
    assert "_events" not in unstructure(engagement)
    assert "events" not in unstructure(engagement)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "robot", "name": "x"}, "kind"),
        ({"kind": "person", "name": "x", "time_zone": "Nowhere/Land"}, "time_zone"),
        ({"kind": "person", "name": "x", "custom_fields": {"d": {"decimal": "x"}}}, "decimal"),
    ],
)
def test_bad_stored_data_is_refused_clearly(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        structure(data, Party)
    assert field in str(info.value)


def test_naive_stored_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError, match="naive"):
        event_from_dict(
            {
                "name": "engagement.lapsed",
                "data": {
                    "aggregate_id": "e",
                    "occurred_at": "2026-01-01T00:00:00",
                    "party_id": "p",
                    "support_team": "t",
                    "on": "2026-01-01",
                    "reason": "r",
                },
            }
        )
    with pytest.raises(ValidationError, match="unknown event"):
        event_from_dict({"name": "nope", "data": {}})
