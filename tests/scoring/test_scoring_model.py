"""Scoring models as data: loading, validation paths, canonical form and version."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from relationship_core._domain.custom_fields import CustomFieldDefinition, CustomFieldSchema
from relationship_core._scoring import (
    Decay,
    EngagementCriterion,
    FitCriterion,
    Group,
    ScoringModel,
    Threshold,
    load_model,
    party_fields,
)
from relationship_core.exceptions import ValidationError

from .strategies import SAAS, SIZE, models

MODEL = {
    "name": "inbound",
    "decay": {"half_life": "14d"},
    "criteria": [
        SAAS,
        SIZE,
        {
            "name": "vip",
            "kind": "fit",
            "field": "tags",
            "op": "in",
            "values": ["vip", "partner"],
            "points": "2.5",
        },
        {"name": "opens", "kind": "engagement", "activity": "email_opened", "points": 2, "cap": 10},
        {
            "name": "unsubscribed",
            "kind": "engagement",
            "activity": "unsubscribed",
            "points": -20,
            "decay": {"window": "90d"},
        },
    ],
    "groups": {"engagement": {"cap": 30}},
    "total_cap": 100,
    "thresholds": [{"score": 50, "stage": "marketing-qualified", "hysteresis": 5}],
}

SCHEMA = CustomFieldSchema(
    definitions=[
        CustomFieldDefinition("industry", "choice", choices=("saas", "retail")),
        CustomFieldDefinition("employees", "number"),
    ]
)


def test_a_loaded_model_equals_the_one_built_in_python() -> None:
    built = ScoringModel(
        name="inbound",
        decay=Decay(half_life=timedelta(days=14)),
        criteria=[
            FitCriterion(
                name="saas", field="custom.industry", op="equals", value="saas", points=10
            ),
            FitCriterion(
                name="size",
                field="custom.employees",
                op="range",
                minimum=50,
                maximum=500,
                points=15,
            ),
            FitCriterion(
                name="vip", field="tags", op="in", values={"vip", "partner"}, points=Decimal("2.5")
            ),
            EngagementCriterion(name="opens", activity="email_opened", points=2, cap=10),
            EngagementCriterion(
                name="unsubscribed", activity="unsubscribed", points=-20, decay=Decay(window="90d")
            ),
        ],
        groups=[Group(name="engagement", cap=30)],
        total_cap=100,
        thresholds=[Threshold(score=50, stage="marketing-qualified", hysteresis=5)],
    )
    assert load_model(MODEL, fields=party_fields(SCHEMA)) == built
    assert load_model(MODEL).version == built.version


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_the_canonical_mapping_reads_back_to_an_equal_model_with_the_same_version(
    model: ScoringModel,
) -> None:
    again = load_model(model.to_mapping())
    assert again == model
    assert again.version == model.version


def test_equal_numbers_written_differently_give_the_same_version() -> None:
    other = {**MODEL, "total_cap": "100.00", "decay": {"half_life": "336h"}}
    assert load_model(other).version == load_model(MODEL).version
    assert load_model({**MODEL, "total_cap": 99}).version != load_model(MODEL).version


def _criterion(index: int, **changes: object) -> dict[str, object]:
    criteria = [dict(c) for c in MODEL["criteria"]]  # type: ignore[attr-defined]
    criteria[index].update(changes)
    return {**MODEL, "criteria": criteria}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (_criterion(3, cap=-1), "criteria[3].cap"),
        (_criterion(0, pionts=3), "criteria[0].pionts"),
        (_criterion(0, field="custom.colour"), "criteria[0].field"),
        (_criterion(0, value=3), "criteria[0].value"),
        (_criterion(1, minimum="fifty"), "criteria[1].minimum"),
        (_criterion(1, op="range", field="tags"), "criteria[1].op"),
        (_criterion(1, maximum=10), "criteria[1].maximum"),
        (_criterion(2, points="ten"), "criteria[2].points"),
        (_criterion(2, points="0.001"), "criteria[2].points"),
        (_criterion(3, kind="behaviour"), "criteria[3].kind"),
        (_criterion(4, decay={"window": 90}), "criteria[4].decay.window"),
        (_criterion(4, decay={"half_life": "0d"}), "criteria[4].decay.half_life"),
        (_criterion(4, name="opens"), "criteria[4].name"),
        (_criterion(4, group="fit"), "criteria[4].group"),
        (_criterion(3, activity=""), "criteria[3].activity"),
        ({**MODEL, "groups": {"engagement": {"cap": "-5"}}}, "groups.engagement.cap"),
        (
            {**MODEL, "thresholds": [{"score": 50, "stage": "a"}, {"score": 40, "stage": "b"}]},
            "thresholds[1].score",
        ),
        ({**MODEL, "thresholds": [{"score": 50}]}, "thresholds[0].stage"),
        ({**MODEL, "precision": "0.03"}, "precision"),
        ({**MODEL, "colour": "red"}, "colour"),
    ],
)
def test_an_invalid_model_names_the_part_at_fault(data: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_model(data, fields=party_fields(SCHEMA))
    assert caught.value.field == path


def test_a_cap_below_zero_is_refused_in_python_too() -> None:
    with pytest.raises(ValidationError, match="cap"):
        EngagementCriterion(name="x", activity="email_opened", points=1, cap=-1)
