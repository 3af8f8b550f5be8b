"""Wrong arguments to scoring constructors and the service are `ValidationError`, at the edge."""

from __future__ import annotations

from typing import Any

import pytest

from relationship_core import PartyScore, ScoringModel, ScoringService
from relationship_core._scoring import FitCriterion
from relationship_core.exceptions import ValidationError

CRITERION = FitCriterion(name="saas", field="custom.industry", op="equals", value="saas", points=10)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"criteria": 3}, "criteria"),
        ({"criteria": ["saas"]}, "criteria[0]"),
        ({"groups": 3}, "groups"),
        ({"groups": ["fit"]}, "groups[0]"),
        ({"thresholds": ["50"]}, "thresholds[0]"),
        ({"decay": "7d"}, "decay"),
    ],
)
def test_model_refuses_wrong_parts(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ScoringModel(**{"criteria": [CRITERION], **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"party_id": "x" * 300}, "party_id"),
        ({"snapshot": 7}, "snapshot"),
        ({"contributions": 7}, "contributions"),
        ({"contributions": ["x"]}, "contributions[0]"),
        ({"crossed": None}, "crossed"),
    ],
)
def test_party_score_refuses_wrong_fields(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PartyScore(**{"party_id": "p1", "model": "default", **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize("crm", [None, [], "memory://", CRITERION])
def test_service_refuses_what_is_not_a_store(crm: object) -> None:
    with pytest.raises(ValidationError) as info:
        ScoringService(crm)  # type: ignore[arg-type]
    assert info.value.field == "crm"
