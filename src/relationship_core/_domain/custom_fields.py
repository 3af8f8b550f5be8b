"""Typed custom fields: a business declares them, values are validated against them."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import attrs

from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date
from relationship_core._domain.validators import a_bool, check_text, items, plain_text, to_enum
from relationship_core.exceptions import ValidationError

__all__ = [
    "CustomFieldDefinition",
    "CustomFieldSchema",
    "FieldType",
    "check_custom_fields",
    "check_custom_value",
    "custom_path",
]

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
    return tuple(check_text(f"choices[{i}]", c) for i, c in enumerate(items("choices", value)))


def custom_path(key: str) -> str:
    """The field path errors name for a custom field: ``custom_fields['industry']``."""
    return f"custom_fields[{key!r}]"


#: Whole numbers are kept within 64 bits so every backend and JSON reader holds them.
_INT_LIMIT = 2**63


def check_custom_value(key: str, value: object) -> CustomValue:
    """Return *value* if a custom field can hold (and a store can keep) it.

    Without a schema, a value must still be one of the kinds the serialiser
    round-trips: text, a whole number within 64 bits, a bool, a finite
    ``Decimal``, `Money` or a calendar date.
    """
    field = custom_path(key)
    if isinstance(value, bool | Money):
        return value
    if isinstance(value, int):
        if not -_INT_LIMIT <= value < _INT_LIMIT:
            raise ValidationError(field, value, "whole numbers must fit in 64 bits")
        return value
    if isinstance(value, str):
        return check_text(field, value, blank=True, multiline=True)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(field, value, "must be a finite number")
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValidationError(
        field,
        value,
        "expected text, a whole number, True/False, a Decimal, Money or a date "
        "(floats, None, lists, dicts and datetimes cannot be stored)",
    )


def check_custom_fields(values: object) -> dict[str, CustomValue]:
    """A copy of *values* with every key and value checked by `check_custom_value`."""
    if not isinstance(values, Mapping):
        raise ValidationError("custom_fields", values, "expected a mapping of key to value")
    result: dict[str, CustomValue] = {}
    for key, value in values.items():
        check_text(f"custom_fields[{key!r}]", key, max_length=63)
        result[key] = check_custom_value(key, value)
    return result


def _key(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _KEY.match(value):
        raise ValidationError(
            attribute.name, value, "use lower_snake_case starting with a letter, at most 63 chars"
        )


def _max_length(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(attribute.name, value, "expected a whole number of at least 1")


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
    label: str = attrs.field(default="", validator=plain_text)
    required: bool = attrs.field(default=False, validator=a_bool)
    choices: tuple[str, ...] = attrs.field(default=(), converter=_choices)
    currency: str | None = None
    max_length: int = attrs.field(default=1000, validator=_max_length)

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
        field = custom_path(self.key)
        if self.type is FieldType.TEXT:
            return check_text(field, value, blank=True, multiline=True, max_length=self.max_length)
        if self.type is FieldType.MONEY:
            if not isinstance(value, Money):
                raise ValidationError(field, value, "expected Money, e.g. Money('10', 'EUR')")
            if self.currency and value.currency.code != self.currency:
                raise ValidationError(field, value, f"expected an amount in {self.currency}")
            return value
        if self.type is FieldType.CHOICE:
            if not isinstance(value, str) or value not in self.choices:
                choices = ", ".join(map(repr, self.choices))
                raise ValidationError(field, value, f"expected one of {choices}")
            return str(value)
        return _SIMPLE[self.type](field, value)


def _number(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, value, "expected a whole number")
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise ValidationError(field, value, "whole numbers must fit in 64 bits")
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
    # A mapping by key (what the attribute holds, e.g. through attrs.evolve) is taken by its values.
    given = list(value.values()) if isinstance(value, Mapping) else items("definitions", value)
    for index, definition in enumerate(given):
        if not isinstance(definition, CustomFieldDefinition):
            raise ValidationError(
                f"definitions[{index}]", definition, "expected a CustomFieldDefinition"
            )
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
        converter=_definitions, factory=tuple
    )

    def validate(self, values: Mapping[str, object]) -> dict[str, CustomValue]:
        """Check every value against its definition; unknown keys and missing required ones fail."""
        if not isinstance(values, Mapping):
            raise ValidationError("custom_fields", values, "expected a mapping of key to value")
        result: dict[str, CustomValue] = {}
        for key, value in values.items():
            definition = self.definitions.get(key)
            if definition is None:
                known = ", ".join(sorted(self.definitions)) or "none declared"
                raise ValidationError(
                    custom_path(key), value, f"no such custom field; known: {known}"
                )
            result[key] = definition.validate(value)
        for key, definition in self.definitions.items():
            if definition.required and key not in result:
                raise ValidationError(custom_path(key), None, "this field is required")
        return result
