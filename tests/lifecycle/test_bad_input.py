"""Wrong arguments to lifecycle constructors and the service are `ValidationError`, at the edge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from relationship_core import LifecycleService
from relationship_core._lifecycle import (
    DEFAULT_LIFECYCLE,
    Lifecycle,
    LifecycleStage,
    LifecycleView,
    PartyLifecycle,
    Pipeline,
    StageKind,
)
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
STAGES = (LifecycleStage("lead", StageKind.ACTIVE, 0),)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": None}, "name"),
        ({"stages": None}, "stages"),
        ({"stages": ["lead"]}, "stages[0]"),
        ({"transitions": []}, "transitions"),
        ({"transitions": {"lead": 3}}, "transitions.lead"),
        ({"entry": 7}, "entry"),
        ({"entry": [None]}, "entry"),
    ],
)
def test_lifecycle_refuses_wrong_arguments(kwargs: dict[str, Any], field: str) -> None:
    given = {"name": "x", "stages": STAGES, "transitions": {}, "entry": ["lead"], **kwargs}
    with pytest.raises(ValidationError) as info:
        Lifecycle(**given)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lifecycle": "default"}, "lifecycle"),
        ({"moves": 3}, "moves"),
        ({"moves": ["x"]}, "moves[0]"),
        ({"engagements": {"e1": None}}, "engagements.e1"),
        ({"engagements": {3: "project"}}, "engagements"),
    ],
)
def test_party_lifecycle_refuses_wrong_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PartyLifecycle(party_id="p1", **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(("stages", "field"), [(3, "stages"), (["open"], "stages[0]")])
def test_pipeline_refuses_wrong_stages(stages: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Pipeline("sales", stages)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("crm", [None, [], "memory://", DEFAULT_LIFECYCLE])
def test_service_refuses_what_is_not_a_store(crm: object) -> None:
    with pytest.raises(ValidationError) as info:
        LifecycleService(crm)  # type: ignore[arg-type]
    assert info.value.field == "crm"


@pytest.mark.parametrize(
    ("lifecycle", "moves", "field"),
    [
        ("default", (), "lifecycle"),
        (DEFAULT_LIFECYCLE, 3, "moves"),
        (DEFAULT_LIFECYCLE, ["x"], "moves[0]"),
    ],
)
def test_view_refuses_wrong_arguments(lifecycle: object, moves: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        LifecycleView(lifecycle, moves, T0)  # type: ignore[arg-type]
    assert info.value.field == field
