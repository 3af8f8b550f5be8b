"""Local calendar months for the reports over time: their first days and UTC bounds."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from relationship_core._app.facade import CRM
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._lifecycle.service import LifecycleService
from relationship_core.exceptions import ValidationError

__all__ = ["business_zone", "last_months", "month_bounds"]

#: At most this many months in one report (one aggregate statement each).
MAX_MONTHS = 120


def business_zone(crm: CRM, business: str = DEFAULT_BUSINESS) -> ZoneInfo:
    """*business*'s time zone (UTC when it is not stored)."""
    return LifecycleService(crm, business=business).time_zone


def last_months(crm: CRM, months: int, zone: ZoneInfo) -> tuple[date, ...]:
    """The first days of the *months* local months ending with the current one, oldest first."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError("months", months, f"a whole number from 1 to {MAX_MONTHS}")
    current = crm.clock.now().astimezone(zone).date().replace(day=1)
    return tuple(current - relativedelta(months=n) for n in range(months - 1, -1, -1))


def month_bounds(first: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants ``[start, end)`` of the local month beginning on *first*."""
    following = first + relativedelta(months=1)
    return (
        datetime.combine(first, time(), zone),
        datetime.combine(following, time(), zone),
    )
