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
