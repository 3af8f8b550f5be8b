"""Recording hours against a retainer's bank: what is included and what becomes overage."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from relationship_core._billing._checks import require_decimal
from relationship_core._billing.events import RetainerHoursRecorded
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.retainer_pricing import segments
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._billing.retainer import Retainer

__all__ = ["record"]

_ZERO = Decimal(0)
_DAY = timedelta(days=1)


def record(
    retainer: Retainer, hours: Decimal | str | int, worked_on: date, at: datetime
) -> Decimal:
    """`Retainer.record_hours`: take *hours* from the bank; the rest is an overage line."""
    require_aware("at", at)
    policy = retainer.terms.hours
    if policy is None:
        raise ValidationError("hours", hours, "this retainer has no hours policy")
    amount = require_decimal("hours", hours, minimum=_ZERO)
    day = require_date("worked_on", worked_on)
    if not retainer.is_billable_on(day):
        raise ValidationError("worked_on", day, "the retainer is not in service on that day")
    if retainer.in_trial_on(day):
        raise ValidationError(
            "worked_on",
            day,
            f"hours start with the first paid day, {retainer.paid_from.isoformat()}",
        )
    schedule = retainer.schedule
    period = schedule.period_of(day)
    bank = retainer.hours_bank
    if bank.period is not None and period.index < bank.period:
        raise ValidationError(
            "worked_on", day, "that period's hours are closed; record hours in order"
        )
    first = period.index if bank.period is None else bank.period + 1
    idle = frozenset(
        k
        for k in range(first, period.index + 1)
        if all(fee is None for _a, _b, fee in segments(retainer, schedule.period(k)))
    )
    bank, overage = bank.open(period.index, policy, no_grant=idle).consume(amount)
    retainer.hours_bank = bank
    if overage > 0:
        line = LineItem._trusted(
            f"Overage {overage} h at {policy.overage_rate} per hour "
            f"({period.start.isoformat()} to {(period.end - _DAY).isoformat()})",
            policy.overage_rate,
            LineKind.OVERAGE,
            retainer.terms.tax_rate,
            period_start=period.start,
            period_end=period.end,
            quantity=overage,
        )
        retainer.pending = (*retainer.pending, line)
    retainer._record(
        RetainerHoursRecorded(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            hours=amount,
            worked_on=day,
            overage_hours=overage,
        )
    )
    return overage
