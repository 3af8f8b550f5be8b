"""Wrong arguments to the workflow and the work service are `ValidationError`, at the edge."""

from __future__ import annotations

from typing import Any

import pytest

import relationship_core as rc
from relationship_core import Workflow, WorkService
from relationship_core.exceptions import ValidationError

STATUSES = ["to do", {"name": "done", "category": "done"}]


@pytest.mark.parametrize(
    ("statuses", "transitions", "field"),
    [
        (None, {}, "statuses"),
        ({"to do": 1}, {}, "statuses"),
        (STATUSES, None, "transitions"),
        (STATUSES, [("to do",)], "transitions"),
        (STATUSES, {"to do": None}, "transitions.to do"),
        (STATUSES, {"to do": [None]}, "transitions.to do"),
        ([1], {}, "statuses[0]"),
    ],
)
def test_workflow_refuses_wrong_arguments(statuses: Any, transitions: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Workflow(statuses, transitions)
    assert info.value.field == field


@pytest.mark.parametrize("crm", [None, [], "memory://", STATUSES])
def test_service_refuses_what_is_not_a_store(crm: object) -> None:
    with pytest.raises(ValidationError) as info:
        WorkService(crm)  # type: ignore[arg-type]
    assert info.value.field == "crm"


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"workflow": {}}, "workflow"), ({"schema": 1}, "schema")]
)
def test_service_refuses_wrong_settings(kwargs: dict[str, Any], field: str) -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as info:
        WorkService(crm, **kwargs)
    assert info.value.field == field
