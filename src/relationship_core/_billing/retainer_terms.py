"""What a retainer agreed: its terms, fee timeline entries, pauses and states.

Split from `relationship_core._billing.retainer` (which re-exports every
name here) so the aggregate's module holds only its behaviour.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from relationship_core._billing._checks import (
    require_count,
    require_decimal,
    require_non_negative_money,
    require_text,
)
from relationship_core._billing.bcd import check_bill_cycle_day
from relationship_core._billing.commitments import AmountCommitment
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.hours import HoursPolicy
from relationship_core._billing.proration import ACTUAL_DAYS, Proration
from relationship_core._billing.trials import Trial
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date, to_zone
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = [
    "BillingTiming",
    "FeeChange",
    "Pause",
    "RetainerStatus",
    "RetainerTerms",
    "check_fee",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)


class BillingTiming(enum.Enum):
    """When a period is billed: at its start (advance) or after its end (arrears)."""

    ADVANCE = "advance"
    ARREARS = "arrears"


class RetainerStatus(enum.Enum):
    """The retainer's state."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


def _to_timing(value: object) -> BillingTiming:
    return to_enum(BillingTiming, "timing", value)


def check_fee(value: object) -> Money:
    """A fee: `Money`, not negative, in whole minor units."""
    money = require_non_negative_money("fee", value)
    if not money.is_rounded:
        raise ValidationError("fee", value, f"use whole {money.currency.code} minor units")
    return money


def _cycle(_instance: object, _attribute: attrs.Attribute[BillingCycle], value: object) -> None:
    if not isinstance(value, BillingCycle):
        raise ValidationError(
            "cycle", value, "expected a BillingCycle, e.g. BillingCycle.monthly()"
        )


def _zone(value: object) -> ZoneInfo:
    return to_zone("time_zone", value)


def _tax(value: object) -> Decimal:
    return require_decimal("tax_rate", value, minimum=_ZERO, maximum=_ONE)


def _optional_date(field: str) -> Callable[[object, attrs.Attribute[date | None], object], None]:
    def check(_instance: object, _attribute: attrs.Attribute[date | None], value: object) -> None:
        if value is not None:
            require_date(field, value)

    return check


def _optional(cls: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, cls):
            raise ValidationError(attribute.name, value, f"expected a {cls.__name__} or None")

    return check


@attrs.frozen
class RetainerTerms:
    """What was agreed: the fee and how it is billed.

    Attributes:
        fee: Fee per period, before tax (whole minor units, not negative).
        cycle: The billing cycle.
        time_zone: The account's IANA time zone; it decides the local day
            every period starts on.
        anchor: The date periods are counted from (defaults to the start
            date, or the trial's end when there is a trial).
        bill_cycle_day: A bill-cycle day (1-31) instead: monthly cycles only;
            every period starts on that day of the month (29-31 clamp to the
            last day of shorter months) and the first period is the one that
            holds the anchor (see `BillCycleDaySchedule`). With a trial and
            no explicit day, the trial's end sets it.
        timing: Bill each period in advance or in arrears.
        proration: How partial periods are priced.
        tax_rate: Tax on every retainer line, as a fraction.
        payment_terms_days: Days from issue to due date.
        minimum_periods: Committed full periods; cancelling earlier bills a
            true-up for the rest of the commitment (0: no commitment).
        hours: Included hours and overage, if any.
        description: How the fee line is printed.
        trial: A trial before the first paid period, if any.
        commitment: A minimum amount over a window, if any (not together
            with *minimum_periods*).
    """

    fee: Money = attrs.field(converter=check_fee)
    cycle: BillingCycle = attrs.field(validator=_cycle)
    time_zone: ZoneInfo = attrs.field(converter=_zone)
    anchor: date | None = attrs.field(default=None, validator=_optional_date("anchor"))
    bill_cycle_day: int | None = attrs.field(default=None, validator=check_bill_cycle_day)
    timing: BillingTiming = attrs.field(default=BillingTiming.ADVANCE, converter=_to_timing)
    proration: Proration = ACTUAL_DAYS
    tax_rate: Decimal = attrs.field(default=_ZERO, converter=_tax)
    payment_terms_days: int = attrs.field(
        default=30, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )
    minimum_periods: int = attrs.field(
        default=0, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )
    hours: HoursPolicy | None = None
    description: str = attrs.field(
        default="Retainer", validator=lambda _i, a, v: require_text(a.name, v)
    )
    trial: Trial | None = attrs.field(default=None, validator=_optional(Trial))
    commitment: AmountCommitment | None = attrs.field(
        default=None, validator=_optional(AmountCommitment)
    )

    def __attrs_post_init__(self) -> None:
        currency = self.fee.currency
        if self.hours is not None and self.hours.overage_rate.currency != currency:
            raise ValidationError(
                "hours.overage_rate", self.hours.overage_rate, f"must be in {currency}"
            )
        price = None if self.trial is None else self.trial.price
        if price is not None and price.currency != currency:
            raise ValidationError("trial.price", price, f"must be in {currency}")
        if self.commitment is not None:
            if self.commitment.amount.currency != currency:
                raise ValidationError(
                    "commitment.amount", self.commitment.amount, f"must be in {currency}"
                )
            if self.minimum_periods:
                raise ValidationError(
                    "commitment",
                    self.commitment,
                    f"choose minimum_periods ({self.minimum_periods}) or an amount "
                    "commitment, not both",
                )


@attrs.frozen
class FeeChange:
    """The fee in force from *effective_on* on.

    Attributes:
        effective_on: First local day of the new fee.
        fee: The fee per period.
    """

    effective_on: date
    fee: Money


@attrs.frozen
class Pause:
    """A stretch without service or billing: ``[start, end)``; ``end`` is ``None`` while paused.

    Attributes:
        start: First paused day.
        end: Day billing resumes, or ``None``.
    """

    start: date
    end: date | None = None
