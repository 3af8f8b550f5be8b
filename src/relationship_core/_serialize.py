"""Domain objects to JSON-safe dicts and back, exactly (cattrs with our hooks).

Decimals travel as strings, dates and aware datetimes as ISO 8601, zones as
IANA keys, Money as ``{"amount": "19.99", "currency": "USD"}``, sets as
sorted lists. Custom-field values, whose type the JSON alone cannot tell,
are tagged: ``{"decimal": "1.5"}``, ``{"date": "2026-01-31"}``, Money as
above; text, whole numbers and booleans stay plain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from relationship_core._domain.currency import Currency
from relationship_core._domain.custom_fields import CustomValue, check_custom_fields
from relationship_core._domain.events import EVENT_TYPES, DomainEvent, EventRecorder
from relationship_core._domain.money import Money
from relationship_core._domain.parties import PARTY_TYPES, EmailAddress, Party, party_type
from relationship_core._domain.timeutil import require_aware, to_zone
from relationship_core.exceptions import ValidationError

__all__ = ["converter", "event_from_dict", "event_to_dict", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(
    unstruct_collection_overrides={Set: sorted, Sequence: list},
    forbid_extra_keys=True,
)


def _decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, float):
        raise ValidationError("decimal", value, "stored decimals must be strings")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValidationError("decimal", value, "not a decimal number") from None


def _datetime(value: Any, _: type) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("datetime", value, "expected an ISO 8601 timestamp") from None
    return require_aware("datetime", parsed)


def _date(value: Any, _: type) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("date", value, "expected an ISO 8601 date") from None


converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, _decimal)
converter.register_unstructure_hook(datetime, lambda v: require_aware("datetime", v).isoformat())
converter.register_structure_hook(datetime, _datetime)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(date, _date)
converter.register_unstructure_hook(ZoneInfo, lambda z: z.key)
converter.register_structure_hook(ZoneInfo, lambda v, _: to_zone("time_zone", v))
converter.register_unstructure_hook(Currency, lambda c: c.code)
converter.register_structure_hook(Currency, lambda v, _: Currency.of(v))
converter.register_unstructure_hook(EmailAddress, str)
converter.register_structure_hook(EmailAddress, lambda v, _: EmailAddress(v))
converter.register_unstructure_hook(Money, Money.to_dict)
converter.register_structure_hook(Money, lambda v, _: Money.from_dict(v))


def _custom_out(value: CustomValue) -> Any:
    if isinstance(value, Money):
        return value.to_dict()
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _custom_in(value: Any, _: Any) -> CustomValue:
    if isinstance(value, Mapping):
        if "decimal" in value:
            return _decimal(value["decimal"], Decimal)
        if "date" in value:
            return _date(value["date"], date)
        return Money.from_dict(dict(value))
    if isinstance(value, str | int | bool):
        return value
    raise ValidationError("custom_fields", value, "not a custom-field value")


def _custom_fields_out(values: Mapping[str, CustomValue]) -> dict[str, Any]:
    # The dict can be changed in place, past the party's validators: check it
    # again here so nothing is written that could not be read back.
    return {key: _custom_out(value) for key, value in check_custom_fields(values).items()}


converter.register_unstructure_hook_func(lambda t: t == CustomValue, _custom_out)
converter.register_unstructure_hook_func(lambda t: t == dict[str, CustomValue], _custom_fields_out)
converter.register_structure_hook_func(lambda t: t == CustomValue, _custom_in)


def _is_aggregate(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, EventRecorder) and attrs.has(cls)


def _aggregate_unstructure(cls: Any) -> Any:
    # Pending events belong to the unit of work, never to the stored state.
    return make_dict_unstructure_fn(cls, converter, _events=override(omit=True))


converter.register_unstructure_hook_factory(_is_aggregate, _aggregate_unstructure)


def _is_party(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Party)


def _party_unstructure(cls: type[Party]) -> Any:
    fields = make_dict_unstructure_fn(cls, converter, _events=override(omit=True))

    def unstructure_party(party: Party) -> dict[str, Any]:
        # "kind" tells which class to rebuild; it is not an init argument.
        return {"kind": party.kind.value, **fields(party)}

    return unstructure_party


def _party_structure(cls: type[Party]) -> Any:
    concrete = {t: make_dict_structure_fn(t, converter) for t in PARTY_TYPES.values()}

    def structure_party(data: Mapping[str, Any], _: Any) -> Party:
        body = dict(data)
        kind = body.pop("kind", None)
        try:
            target = party_type(kind)
        except (ValueError, KeyError):
            raise ValidationError("kind", kind, "expected 'person' or 'organisation'") from None
        if not issubclass(target, cls):
            raise ValidationError("kind", kind, f"stored party is not a {cls.__name__}")
        return concrete[target](body, target)

    return structure_party


converter.register_unstructure_hook_factory(_is_party, _party_unstructure)
converter.register_structure_hook_factory(_is_party, _party_structure)


def unstructure(obj: object) -> Any:
    """Turn a domain object into JSON-safe data."""
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """Rebuild a *cls* from `unstructure` output; bad data raises ValidationError."""
    try:
        return converter.structure(data, cls)
    except ValidationError:
        raise
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            cls.__name__, data, f"stored data does not fit: {_first_cause(exc)}"
        ) from exc


def _first_cause(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError) and exc.exceptions:
        inner = exc.exceptions[0]
        if isinstance(inner, ValidationError):
            return str(inner)
        return _first_cause(inner)
    return f"{type(exc).__name__}: {exc}"


def event_to_dict(event: DomainEvent) -> dict[str, Any]:
    """``{"name": "engagement.started", "data": {...}}``."""
    return {"name": event.name, "data": converter.unstructure(event)}


def event_from_dict(
    data: Mapping[str, Any], types: Mapping[str, type[DomainEvent]] | None = None
) -> DomainEvent:
    """Inverse of `event_to_dict`; names not in *types* (default: `EVENT_TYPES`) are refused.

    A store's event log reads through its own event types instead (see
    ``relationship_core._app.envelope.EventTypes``), where an unknown name
    reads as an ``UnknownEvent``.
    """
    known = EVENT_TYPES if types is None else types
    name = data.get("name")
    cls = known.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValidationError("name", name, f"unknown event; known: {', '.join(sorted(known))}")
    return structure(data["data"], cls)
