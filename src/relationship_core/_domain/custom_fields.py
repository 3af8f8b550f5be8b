"""Typed custom fields: a business declares them, values are validated against them."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import attrs

from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = ["CustomFieldDefinition", "CustomFieldSchema", "FieldType"]

#: What a custom field may hold once validated.
CustomValue = str | int | Decimal | Money | date | bool

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class FieldType(enum.Enum):
    """The kinds of value a custom field can hold."""

    TEXT = "text"
    NUMBER = "number"  #: a whole number
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"  #: one of the definition's ``choices``


def _field_type(value: object) -> FieldType:
    return to_enum(FieldType, "type", value)


def _choices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _key(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _KEY.match(value):
        raise ValidationError(
            attribute.name, value, "use lower_snake_case starting with a letter, at most 63 chars"
        )


@attrs.frozen
class CustomFieldDefinition:
    """One custom field a business declares, e.g. ``industry`` as a choice.

    Attributes:
        key: Stable lower_snake_case name the value is stored under.
        type: What kind of value it holds.
        label: Human-readable name for forms and reports.
        required: Whether every party must have a value.
        choices: The allowed values of a ``CHOICE`` field.
        currency: The currency a ``MONEY`` field must use (any when ``None``).
        max_length: The longest ``TEXT`` value accepted.
    """

    key: str = attrs.field(validator=_key)
    type: FieldType = attrs.field(converter=_field_type)
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = attrs.field(default=(), converter=_choices)
    currency: str | None = None
    max_length: int = 1000

    def __attrs_post_init__(self) -> None:
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValidationError(
                f"{self.key}.choices", self.choices, "a choice field needs choices"
            )
        if self.type is not FieldType.CHOICE and self.choices:
            raise ValidationError(
                f"{self.key}.choices", self.choices, "only choice fields take choices"
            )
        if self.currency is not None:
            if self.type is not FieldType.MONEY:
                raise ValidationError(
                    f"{self.key}.currency", self.currency, "only money fields take a currency"
                )
            object.__setattr__(self, "currency", Currency.of(self.currency).code)

    def validate(self, value: object) -> CustomValue:
        """Return *value* checked (and coerced where lossless) for this field."""
        field = f"custom_fields.{self.key}"
        if self.type is FieldType.TEXT:
            if not isinstance(value, str):
                raise ValidationError(field, value, "expected text")
            if len(value) > self.max_length:
                raise ValidationError(field, value, f"longer than {self.max_length} characters")
            return value
        if self.type is FieldType.MONEY:
            if not isinstance(value, Money):
                raise ValidationError(field, value, "expected Money, e.g. Money('10', 'EUR')")
            if self.currency and value.currency.code != self.currency:
                raise ValidationError(field, value, f"expected an amount in {self.currency}")
            return value
        if self.type is FieldType.CHOICE:
            if value not in self.choices:
                choices = ", ".join(map(repr, self.choices))
                raise ValidationError(field, value, f"expected one of {choices}")
            return str(value)
        return _SIMPLE[self.type](field, value)


def _number(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, value, "expected a whole number")
    return value


def _boolean(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, value, "expected True or False")
    return value


def _decimal(field: str, value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValidationError(field, value, "expected a Decimal or a numeric string, not a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError(field, value, "not a decimal number") from None
    else:
        raise ValidationError(field, value, "expected a Decimal")
    if not result.is_finite():
        raise ValidationError(field, value, "must be finite")
    return result


_SIMPLE: dict[FieldType, Callable[[str, object], CustomValue]] = {
    FieldType.NUMBER: _number,
    FieldType.DECIMAL: _decimal,
    FieldType.DATE: require_date,
    FieldType.BOOLEAN: _boolean,
}


def _definitions(
    value: Iterable[CustomFieldDefinition],
) -> Mapping[str, CustomFieldDefinition]:
    result: dict[str, CustomFieldDefinition] = {}
    for definition in value:
        if definition.key in result:
            raise ValidationError("definitions", definition.key, "each key may be declared once")
        result[definition.key] = definition
    return MappingProxyType(result)


@attrs.frozen
class CustomFieldSchema:
    """The custom fields a business has declared for its parties.

    Examples:
        >>> schema = CustomFieldSchema([CustomFieldDefinition("industry", "choice",
        ...     choices=("retail", "legal"))])
        >>> schema.validate({"industry": "legal"})
        {'industry': 'legal'}

    Attributes:
        definitions: The declared fields by key.
    """

    definitions: Mapping[str, CustomFieldDefinition] = attrs.field(
        converter=_definitions, factory=dict
    )

    def validate(self, values: Mapping[str, object]) -> dict[str, CustomValue]:
        """Check every value against its definition; unknown keys and missing required ones fail."""
        result: dict[str, CustomValue] = {}
        for key, value in values.items():
            definition = self.definitions.get(key)
            if definition is None:
                known = ", ".join(sorted(self.definitions)) or "none declared"
                raise ValidationError(
                    f"custom_fields.{key}", value, f"no such custom field; known: {known}"
                )
            result[key] = definition.validate(value)
        for key, definition in self.definitions.items():
            if definition.required and key not in result:
                raise ValidationError(f"custom_fields.{key}", None, "this field is required")
        return result
