"""Public holidays for a `WorkingCalendar`, from the ``holidays`` package (the ``holidays`` extra)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from relationship_core._domain.validators import items
from relationship_core.exceptions import MissingExtraError, ValidationError

__all__ = ["public_holidays"]


def public_holidays(
    country: str, years: Iterable[int], *, subdivision: str | None = None
) -> tuple[date, ...]:
    """The public holidays of *country* (ISO 3166 code) in *years*, sorted, for ``holidays=``.

    Examples:
        >>> public_holidays("GB", [2026], subdivision="ENG")[:2]
        (datetime.date(2026, 1, 1), datetime.date(2026, 4, 3))

    Raises:
        ValidationError: An unknown country or subdivision, or years that are not integers.
        MissingExtraError: ``pip install 'relationship-core[holidays]'``.
    """
    if not isinstance(country, str) or not country.isalpha() or not 2 <= len(country) <= 3:
        raise ValidationError("country", country, "an ISO 3166 country code, e.g. 'GB'")
    if subdivision is not None and (not isinstance(subdivision, str) or not subdivision.strip()):
        raise ValidationError("subdivision", subdivision, "a subdivision code, e.g. 'ENG', or None")
    wanted = items("years", years)
    for year in wanted:
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise ValidationError("years", year, "a year from 1900 to 2200")
    try:
        import holidays
    except ImportError:  # pragma: no cover - installed with the test extra
        raise MissingExtraError("public_holidays", "holidays", "holidays") from None
    try:
        years_list = [int(y) for y in wanted]  # type: ignore[call-overload]
        found = holidays.country_holidays(country.upper(), subdiv=subdivision, years=years_list)
    except NotImplementedError as exc:
        field = (
            "subdivision" if subdivision is not None and "subdivision" in str(exc) else "country"
        )
        value = subdivision if field == "subdivision" else country
        raise ValidationError(field, value, f"not known to the holidays package: {exc}") from None
    return tuple(sorted(found))
