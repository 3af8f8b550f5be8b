"""What a fit criterion can test: the attributes of a lead, drawn from a party.

A lead's attributes are a flat mapping: the party's own (`PARTY_FIELDS`) and
its custom fields under ``custom.<key>``. `party_fields` describes them for a
business's custom-field schema, so `load_model` can refuse a criterion on an
unknown field or with a value of the wrong type.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from relationship_core._domain.custom_fields import CustomFieldSchema, FieldType
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Party, Person
from relationship_core._scoring.model import FitCriterion, FitOp, ScoringModel
from relationship_core.exceptions import ValidationError

__all__ = ["PARTY_FIELDS", "FieldKind", "check_fields", "party_attributes", "party_fields"]


class FieldKind(enum.Enum):
    """The type of a lead attribute, as far as fit criteria care."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    SET = "set"  #: a set of texts, such as tags


#: The attributes `party_attributes` gives every party.
PARTY_FIELDS: Mapping[str, FieldKind] = MappingProxyType(
    {
        "kind": FieldKind.TEXT,
        "name": FieldKind.TEXT,
        "tags": FieldKind.SET,
        "time_zone": FieldKind.TEXT,
        "email_domain": FieldKind.TEXT,
        "has_email": FieldKind.BOOLEAN,
        "has_phone": FieldKind.BOOLEAN,
    }
)

_CUSTOM_KINDS = {
    FieldType.TEXT: FieldKind.TEXT,
    FieldType.CHOICE: FieldKind.TEXT,
    FieldType.NUMBER: FieldKind.NUMBER,
    FieldType.DECIMAL: FieldKind.NUMBER,
    FieldType.MONEY: FieldKind.NUMBER,
    FieldType.DATE: FieldKind.DATE,
    FieldType.BOOLEAN: FieldKind.BOOLEAN,
}


def party_fields(schema: CustomFieldSchema | None = None) -> dict[str, FieldKind]:
    """`PARTY_FIELDS` plus ``custom.<key>`` for each field *schema* declares."""
    fields = dict(PARTY_FIELDS)
    if schema is not None:
        for key, definition in schema.definitions.items():
            fields[f"custom.{key}"] = _CUSTOM_KINDS[definition.type]
    return fields


def party_attributes(party: Party) -> dict[str, object]:
    """The attributes fit criteria see for *party* (money custom fields as their amount)."""
    emails = party.emails
    attributes: dict[str, object] = {
        "kind": party.kind.value,
        "name": party.name,
        "tags": party.tags,
        "time_zone": party.time_zone.key,
        "email_domain": emails[0].value.rpartition("@")[2] if emails else None,
        "has_email": bool(emails),
        "has_phone": bool(party.phone) if isinstance(party, Person) else False,
    }
    for key, value in party.custom_fields.items():
        attributes[f"custom.{key}"] = value.amount if isinstance(value, Money) else value
    return attributes


_ACCEPTS: Mapping[FieldKind, tuple[type, ...]] = {
    FieldKind.TEXT: (str,),
    FieldKind.NUMBER: (Decimal,),
    FieldKind.DATE: (date,),
    FieldKind.BOOLEAN: (bool,),
    FieldKind.SET: (str,),
}


def check_fields(model: ScoringModel, fields: Mapping[str, FieldKind]) -> None:
    """Refuse fit criteria on fields not in *fields*, or with values of the wrong type."""
    for index, criterion in enumerate(model.criteria):
        if isinstance(criterion, FitCriterion):
            _check(f"criteria[{index}]", criterion, fields)


def _check(path: str, criterion: FitCriterion, fields: Mapping[str, FieldKind]) -> None:
    kind = fields.get(criterion.field)
    if kind is None:
        known = ", ".join(sorted(fields))
        raise ValidationError(f"{path}.field", criterion.field, f"unknown field; known: {known}")
    accepts = _ACCEPTS[kind]
    checks: Iterable[tuple[str, object]] = ()
    if criterion.op is FitOp.EQUALS:
        checks = [("value", criterion.value)]
    elif criterion.op is FitOp.IN:
        checks = [("values", value) for value in criterion.values]
    elif criterion.op is FitOp.RANGE:
        if kind not in (FieldKind.NUMBER, FieldKind.DATE):
            raise ValidationError(
                f"{path}.op",
                "range",
                f"{criterion.field} is {kind.value}; range needs numbers or dates",
            )
        checks = [(key, getattr(criterion, key)) for key in ("minimum", "maximum")]
    for key, value in checks:
        if value is None:
            continue
        wrong = not isinstance(value, accepts) or (
            kind is not FieldKind.BOOLEAN and isinstance(value, bool)
        )
        if wrong:
            raise ValidationError(
                f"{path}.{key}", value, f"{criterion.field} holds {_DESCRIBE[kind]}"
            )


_DESCRIBE = {
    FieldKind.TEXT: "text",
    FieldKind.NUMBER: "numbers",
    FieldKind.DATE: "dates",
    FieldKind.BOOLEAN: "true or false",
    FieldKind.SET: "a set of texts; compare with a text",
}
