"""Read a scoring model from a mapping (parsed TOML or JSON), naming the bad part."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from relationship_core._scoring._values import to_points
from relationship_core._scoring.fields import FieldKind, check_fields
from relationship_core._scoring.model import (
    ENGAGEMENT,
    FIT,
    Decay,
    EngagementCriterion,
    FitCriterion,
    Group,
    ScoringModel,
    Threshold,
)
from relationship_core.exceptions import ValidationError

__all__ = ["load_model"]

T = TypeVar("T")

_MODEL_KEYS = {"name", "precision", "decay", "criteria", "groups", "total_cap", "thresholds"}
_FIT_KEYS = {
    "name",
    "kind",
    "field",
    "op",
    "value",
    "values",
    "minimum",
    "maximum",
    "points",
    "cap",
    "group",
}
_ENGAGEMENT_KEYS = {"name", "kind", "activity", "points", "cap", "decay", "group"}
_DECAY_KEYS = {"half_life", "window"}
_THRESHOLD_KEYS = {"score", "stage", "hysteresis"}


def load_model(
    data: Mapping[str, Any], *, fields: Mapping[str, FieldKind] | None = None
) -> ScoringModel:
    """Build a `ScoringModel` from *data*, the shape `ScoringModel.to_mapping` writes.

    With *fields* (see `party_fields`), a fit criterion on an unknown field, or
    with a value of the wrong type, is refused too. Every refusal is a
    `ValidationError` whose field is a path such as ``criteria[3].cap``.
    """
    _mapping("model", data, _MODEL_KEYS)
    raw_criteria = data.get("criteria", [])
    if not isinstance(raw_criteria, list | tuple):
        raise ValidationError("criteria", raw_criteria, "expected a list of criteria")
    criteria = [_at(f"criteria[{i}]", _criterion, item) for i, item in enumerate(raw_criteria)]
    groups_data = data.get("groups", {})
    _mapping("groups", groups_data, None)
    groups = [_at(f"groups.{name}", _group, name, g) for name, g in groups_data.items()]
    raw_thresholds = data.get("thresholds", [])
    if not isinstance(raw_thresholds, list | tuple):
        raise ValidationError("thresholds", raw_thresholds, "expected a list of thresholds")
    thresholds = [_at(f"thresholds[{i}]", _threshold, t) for i, t in enumerate(raw_thresholds)]
    options: dict[str, Any] = {}
    for key in ("name", "precision", "total_cap"):
        if key in data:
            options[key] = data[key]
    if "decay" in data:
        options["decay"] = _at("decay", _decay, data["decay"])
    model = ScoringModel(criteria=criteria, groups=groups, thresholds=thresholds, **options)
    if fields is not None:
        check_fields(model, fields)
    return model


def _at(path: str, build: Callable[..., T], *args: Any) -> T:
    try:
        return build(*args)
    except ValidationError as exc:
        raise exc.prefixed(path) from None


def _mapping(path: str, data: object, allowed: set[str] | None) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(path, data, "expected a mapping (a TOML table or JSON object)")
    if allowed is not None:
        for key in data:
            if key not in allowed:
                raise ValidationError(
                    str(key),
                    data[key],
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )
    return data


def _criterion(data: object) -> FitCriterion | EngagementCriterion:
    if not isinstance(data, Mapping):
        raise ValidationError("kind", data, "a criterion is a mapping with a kind")
    kind = data.get("kind")
    if kind == FIT:
        _mapping("criterion", data, _FIT_KEYS)
        _required(data, ("name", "field", "op", "points"))
        args: dict[str, Any] = {k: _value(k, v) for k, v in data.items() if k != "kind"}
        return FitCriterion(**args)
    if kind == ENGAGEMENT:
        _mapping("criterion", data, _ENGAGEMENT_KEYS)
        _required(data, ("name", "activity", "points"))
        args = {k: v for k, v in data.items() if k != "kind"}
        if "decay" in args:
            args["decay"] = _at("decay", _decay, args["decay"])
        return EngagementCriterion(**args)
    raise ValidationError("kind", kind, f"expected {FIT!r} or {ENGAGEMENT!r}")


def _required(data: Mapping[str, object], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in data:
            raise ValidationError(
                key, None, f"missing; a {data['kind']} criterion needs {', '.join(keys)}"
            )


def _value(key: str, value: object) -> object:
    """Decode the tagged values the canonical mapping writes (``{"date": ...}``)."""
    if key == "values" and isinstance(value, list | tuple):
        return [_value(f"values[{i}]", v) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        if set(value) == {"decimal"}:
            return to_points(key, value["decimal"])
        if set(value) == {"date"} and isinstance(value["date"], str):
            try:
                return date.fromisoformat(value["date"])
            except ValueError:
                raise ValidationError(
                    key, value, "expected an ISO date such as 2026-01-31"
                ) from None
        raise ValidationError(key, value, "expected text, a number, a date or true/false")
    return value


def _decay(data: object) -> Decay:
    return Decay(**_mapping("decay", data, _DECAY_KEYS))


def _group(name: str, data: object) -> Group:
    return Group(name=name, **_mapping("group", data, {"cap"}))


def _threshold(data: object) -> Threshold:
    data = _mapping("threshold", data, _THRESHOLD_KEYS)
    missing = _THRESHOLD_KEYS - {"hysteresis"} - set(data)
    if missing:
        raise ValidationError(sorted(missing)[0], None, "a threshold needs a score and a stage")
    return Threshold(**data)
