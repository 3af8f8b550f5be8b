"""Exact decimal values in indexes: one encoding every backend shares.

An indexed ``decimal`` is kept as a whole number of millionths (scale 6)
wherever the database has no exact decimal type: SQLite, the JSON-lines
journal and query cursors. SQLite's ``SUM`` over integers is exact (its
``REAL`` sum is not), so a sum never drifts; PostgreSQL keeps ``NUMERIC``,
which is exact too. Values are normalised to scale 6 on every backend, so
``Decimal("12.5")`` comes back as ``Decimal("12.500000")`` everywhere.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from relationship_core.exceptions import BackendRefusedError, ValidationError

__all__ = [
    "DECIMAL_PLACES",
    "MAX_DECIMAL",
    "check_decimal",
    "check_sum",
    "from_units",
    "to_units",
]

#: Fractional digits an indexed decimal keeps (enough for unit prices and exchange rates).
DECIMAL_PLACES = 6
#: Indexed decimals stay below this in magnitude (their millionths fit 64 bits).
MAX_DECIMAL = Decimal(10) ** 12
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_SUM_LIMIT = 2**63  # millionths: the largest sum SQLite's integer SUM can hold


def check_decimal(field: str, value: object) -> Decimal:
    """*value* (a Decimal or int) at scale 6, or ``ValidationError`` naming *field*."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationError(field, value, "expected a Decimal (never a float) or an int")
    number = Decimal(value)
    if not number.is_finite():
        raise ValidationError(field, value, "NaN and infinities are not allowed")
    if abs(number) >= MAX_DECIMAL:
        raise ValidationError(field, value, "indexed decimals must be below 10**12 in magnitude")
    try:
        exact = number.quantize(_QUANTUM)
    except InvalidOperation:  # pragma: no cover - the bound above keeps it representable
        raise ValidationError(field, value, "not representable at 6 decimal places") from None
    if exact != number:
        raise ValidationError(
            field,
            value,
            f"indexed decimals keep at most {DECIMAL_PLACES} decimal places; round it first "
            "(e.g. Money.round()) or keep the exact value in the document only",
        )
    return exact


def to_units(value: Decimal) -> int:
    """A checked decimal as whole millionths."""
    return int(value.scaleb(DECIMAL_PLACES))


def from_units(units: int | Decimal) -> Decimal:
    """Whole millionths (or a database's exact decimal) back as a Decimal at scale 6."""
    if isinstance(units, Decimal):
        return units.quantize(_QUANTUM)
    return Decimal(int(units)).scaleb(-DECIMAL_PLACES)


def check_sum(field: str, total: Decimal | int, *, decimal: bool) -> None:
    """Refuse a sum no backend can hold exactly (the same refusal on every backend)."""
    units = to_units(Decimal(total)) if decimal else int(total)
    if not -_SUM_LIMIT <= units < _SUM_LIMIT:
        raise BackendRefusedError(
            f"the sum of {field} overflows 64 bits ({total}); "
            "aggregate smaller groups (add a condition or a group_by)"
        )
