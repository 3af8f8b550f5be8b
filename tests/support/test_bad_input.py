"""Wrong arguments to the support service and the portal are `ValidationError`, at the edge."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import relationship_core as rc
from relationship_core import SupportService, client_view
from relationship_core.exceptions import ValidationError

ENTRIES: dict[str, Callable[[object], object]] = {
    "SupportService": SupportService,  # type: ignore[dict-item]
    "client_view": lambda crm: client_view(crm, "p1"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("crm", [None, [], "memory://", frozenset()])
def test_refuses_what_is_not_a_store(entry: str, crm: object) -> None:
    with pytest.raises(ValidationError) as info:
        ENTRIES[entry](crm)
    assert info.value.field == "crm"


@pytest.mark.parametrize(("policies", "field"), [(3, "policies"), (["fast"], "policies[0]")])
def test_service_refuses_wrong_policies(policies: object, field: str) -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as info:
        SupportService(crm, policies=policies)  # type: ignore[arg-type]
    assert info.value.field == field


def test_new_ticket_inputs_are_refused_with_field_and_value() -> None:
    from datetime import UTC, datetime, timedelta

    from relationship_core._support import FormSubmission, SlaPolicy, Ticket
    from relationship_core._support.portal import portal_view

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    ticket = Ticket.open(FormSubmission(name="Ada", email="a@example.com", problem="?"), at=at)
    cases: list[tuple[Callable[[], object], str, object]] = [
        (lambda: ticket.set_priority("asap", at=at), "priority", "asap"),
        (lambda: ticket.customer_wrote(at=at - timedelta(hours=1)), "at", at - timedelta(hours=1)),
        (lambda: SlaPolicy(name="p", update=timedelta(0)), "update", timedelta(0)),
    ]
    for call, field, value in cases:
        with pytest.raises(ValidationError) as info:
            call()
        assert (info.value.field, info.value.value) == (field, value)
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as scope:
        portal_view(crm, "p-1", scope="everything")  # type: ignore[arg-type]
    assert (scope.value.field, scope.value.value) == ("scope", "everything")
