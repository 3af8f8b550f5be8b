"""The retainer aggregate: a client's fixed fee per billing cycle, and its changes.

A retainer keeps its *timeline* as plain data (service start and end, fee
changes, pauses) plus a billing marker, ``next_period``: every period with a
lower index has been billed. What a period costs is always recomputed from
the timeline, so a change that touches a period already billed turns into
adjustment lines - a credit for what was billed and no longer applies, a
charge for what applies now - kept in ``pending`` until the biller puts them
on the next document.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from relationship_core._billing._checks import (
    require_count,
    require_decimal,
    require_non_negative_money,
    require_text,
)
from relationship_core._billing.bcd import BillCycleDaySchedule, Schedule, check_bill_cycle_day
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.events import (
    RetainerCancelled,
    RetainerFeeChanged,
    RetainerHoursRecorded,
    RetainerPaused,
    RetainerResumed,
    RetainerStarted,
)
from relationship_core._billing.hours import HoursBank, HoursPolicy
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.proration import ACTUAL_DAYS, Proration
from relationship_core._billing.schedule import BillingPeriod, BillingSchedule, local_billing_date
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "BillingTiming",
    "FeeChange",
    "Pause",
    "Retainer",
    "RetainerStatus",
    "RetainerTerms",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_DAY = timedelta(days=1)


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


def _fee(value: object) -> Money:
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


@attrs.frozen
class RetainerTerms:
    """What was agreed: the fee and how it is billed.

    Attributes:
        fee: Fee per period, before tax (whole minor units, not negative).
        cycle: The billing cycle.
        time_zone: The account's IANA time zone; it decides the local day
            every period starts on.
        anchor: The date periods are counted from (defaults to the start date).
        bill_cycle_day: A bill-cycle day (1-31) instead: monthly cycles only;
            every period starts on that day of the month (29-31 clamp to the
            last day of shorter months) and the first period is the one that
            holds the anchor (see `BillCycleDaySchedule`).
        timing: Bill each period in advance or in arrears.
        proration: How partial periods are priced.
        tax_rate: Tax on every retainer line, as a fraction.
        payment_terms_days: Days from issue to due date.
        minimum_periods: Committed full periods; cancelling earlier bills a
            true-up for the rest of the commitment (0: no commitment).
        hours: Included hours and overage, if any.
        description: How the fee line is printed.
    """

    fee: Money = attrs.field(converter=_fee)
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

    def __attrs_post_init__(self) -> None:
        if self.hours is not None and self.hours.overage_rate.currency != self.fee.currency:
            raise ValidationError(
                "hours.overage_rate", self.hours.overage_rate, f"must be in {self.fee.currency}"
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


# A segment of a period: [start, end) billed at fee (None: not billed).
_Segment = tuple[date, date, Money | None]


@attrs.define
class Retainer(EventRecorder):
    """A client's retainer.

    Build one with `start`. Every change takes the instant it happens
    (``at``, aware) and works on local dates in the account's time zone.

    Attributes:
        id: The retainer's id.
        party_id: The client billed.
        engagement_id: The client engagement it belongs to, if any.
        terms: The agreed terms (``terms.fee`` is the initial fee).
        starts_on: First local day of service.
        ends_on: Day after the last day of service, once cancelled.
        status: Active, paused or cancelled.
        fee_changes: The fee timeline, oldest first (the first entry is the start).
        pauses: Pauses, oldest first.
        next_period: Index of the next period to bill; all lower ones are billed.
        pending: Adjustment lines waiting for the next document.
        adjustment_count: Adjustment-only documents made so far (for their keys).
        hours_bank: Unused included hours.
        last_invoice_id: The latest period invoice, for credit notes to refer to.
        business: The key of the business whose retainer it is.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    party_id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    terms: RetainerTerms
    starts_on: date
    engagement_id: str | None = None
    ends_on: date | None = None
    status: RetainerStatus = RetainerStatus.ACTIVE
    fee_changes: tuple[FeeChange, ...] = ()
    pauses: tuple[Pause, ...] = ()
    next_period: int = 0
    pending: tuple[LineItem, ...] = ()
    adjustment_count: int = 0
    hours_bank: HoursBank = attrs.field(factory=HoursBank)
    last_invoice_id: str | None = None
    business: str = DEFAULT_BUSINESS
    _events: list[DomainEvent] = events_field()

    # -- construction -------------------------------------------------------------
    @classmethod
    def start(
        cls,
        id: str,
        party_id: str,
        terms: RetainerTerms,
        at: datetime,
        *,
        starts_on: date | None = None,
        engagement_id: str | None = None,
        business: str = DEFAULT_BUSINESS,
    ) -> Retainer:
        """Start a retainer on *starts_on* (default: the local date of *at*) for *business*.

        The start may fall mid-period; the first period is then prorated.
        """
        require_aware("at", at)
        if not isinstance(terms, RetainerTerms):
            raise ValidationError("terms", terms, "expected RetainerTerms")
        day = local_billing_date(at, terms.time_zone) if starts_on is None else starts_on
        require_date("starts_on", day)
        if terms.anchor is None:
            terms = attrs.evolve(terms, anchor=day)
        retainer = cls(
            id=id,
            party_id=party_id,
            terms=terms,
            starts_on=day,
            engagement_id=engagement_id,
            fee_changes=(FeeChange(day, terms.fee),),
            business=business,
        )
        retainer.next_period = retainer.schedule.index_of(day)
        if terms.hours is not None:  # the first (even partial) period grants its hours in full
            retainer.hours_bank = HoursBank().open(retainer.next_period, terms.hours)
        retainer._record(
            RetainerStarted(
                aggregate_id=retainer.id,
                occurred_at=at,
                party_id=party_id,
                engagement_id=engagement_id,
                fee=terms.fee,
                cycle=terms.cycle,
                starts_on=day,
            )
        )
        return retainer

    # -- views ----------------------------------------------------------------------
    @property
    def schedule(self) -> Schedule:
        """The billing schedule (cycle and anchor, or cycle and bill-cycle day)."""
        terms = self.terms
        if terms.bill_cycle_day is not None:
            return BillCycleDaySchedule(
                terms.cycle, terms.bill_cycle_day, terms.anchor or self.starts_on
            )
        return BillingSchedule(terms.cycle, terms.anchor or self.starts_on)

    @property
    def fee(self) -> Money:
        """The latest fee."""
        return self.fee_changes[-1].fee

    @property
    def currency(self) -> str:
        """The currency code of the fee."""
        return self.terms.fee.currency.code

    def fee_on(self, day: date) -> Money:
        """The fee in force on *day*."""
        fee = self.fee_changes[0].fee
        for change in self.fee_changes:
            if change.effective_on <= day:
                fee = change.fee
            else:
                break
        return fee

    def is_billable_on(self, day: date) -> bool:
        """Whether *day* is in service and not paused."""
        if day < self.starts_on or (self.ends_on is not None and day >= self.ends_on):
            return False
        return not any(p.start <= day and (p.end is None or day < p.end) for p in self.pauses)

    def local_date(self, at: datetime) -> date:
        """The local billing date of instant *at* in the account's time zone."""
        return local_billing_date(at, self.terms.time_zone)

    @property
    def first_period(self) -> int:
        """Index of the period containing the start date."""
        return self.schedule.index_of(self.starts_on)

    @property
    def last_period(self) -> int | None:
        """Index of the last period with service, once an end is known."""
        if self.ends_on is None:
            return None
        return self.schedule.index_of(self.ends_on - _DAY)

    @property
    def commitment_ends_on(self) -> date | None:
        """End of the minimum term: *minimum_periods* full periods after the start.

        A partial first period does not count towards the commitment.
        """
        if not self.terms.minimum_periods:
            return None
        schedule = self.schedule
        first = schedule.index_of(self.starts_on)
        if schedule.boundary(first) != self.starts_on:
            first += 1
        return schedule.boundary(first + self.terms.minimum_periods)

    # -- pricing -----------------------------------------------------------------------
    def _segments(self, period: BillingPeriod) -> list[_Segment]:
        start, end = period.start, period.end
        cuts = {start, end}
        for day in (self.starts_on, self.ends_on):
            if day is not None and start < day < end:
                cuts.add(day)
        for change in self.fee_changes:
            if start < change.effective_on < end:
                cuts.add(change.effective_on)
        for pause in self.pauses:
            for day in (pause.start, pause.end):
                if day is not None and start < day < end:
                    cuts.add(day)
        points = sorted(cuts)
        segments: list[_Segment] = []
        for a, b in itertools.pairwise(points):
            fee = self.fee_on(a) if self.is_billable_on(a) else None
            if segments and segments[-1][2] == fee and segments[-1][1] == a:
                segments[-1] = (segments[-1][0], b, fee)
            else:
                segments.append((a, b, fee))
        return segments

    def _line(
        self, period: BillingPeriod, a: date, b: date, fee: Money, *, credit: bool = False
    ) -> LineItem | None:
        terms = self.terms
        amount = terms.proration.piece(fee, terms.cycle, period, a, b)
        if amount.amount == 0:
            return None
        whole = a == period.start and b == period.end
        last = (b - _DAY).isoformat()
        if credit:
            text = f"Credit: {terms.description} {a.isoformat()} to {last} ({fee} per period)"
            kind = LineKind.CREDIT
            amount = -amount
        elif whole:
            text = f"{terms.description} {a.isoformat()} to {last}"
            kind = LineKind.RETAINER_FEE
        else:
            text = (
                f"{terms.description} {a.isoformat()} to {last} "
                f"(prorated, {terms.proration}, {fee} per period)"
            )
            kind = LineKind.PRORATION
        return LineItem._trusted(text, amount, kind, terms.tax_rate, period_start=a, period_end=b)

    def period_lines(self, period: BillingPeriod) -> tuple[LineItem, ...]:
        """The lines *period* costs under the current timeline (before adjustments)."""
        # Fast path for the common case: one fee, whole period, no pauses.
        if (
            len(self.fee_changes) == 1
            and not self.pauses
            and self.starts_on <= period.start
            and (self.ends_on is None or self.ends_on >= period.end)
        ):
            fee = self.fee_changes[0].fee
            if fee.amount == 0:
                return ()
            terms = self.terms
            text = f"{terms.description} {period.start.isoformat()} to {(period.end - _DAY).isoformat()}"
            return (
                LineItem._trusted(
                    text,
                    fee,
                    LineKind.RETAINER_FEE,
                    terms.tax_rate,
                    period_start=period.start,
                    period_end=period.end,
                ),
            )
        lines = []
        for a, b, segment_fee in self._segments(period):
            if segment_fee is not None:
                line = self._line(period, a, b, segment_fee)
                if line is not None:
                    lines.append(line)
        return tuple(lines)

    def _adjust(self, since: date, change: Callable[[], None]) -> None:
        """Apply *change*; re-price the billed periods from *since* on into adjustment lines."""
        schedule = self.schedule
        first = max(schedule.index_of(since), self.first_period)
        billed = [schedule.period(k) for k in range(first, self.next_period)]
        before = [self._segments(p) for p in billed]
        change()
        lines: list[LineItem] = []
        for period, old in zip(billed, before, strict=True):
            lines.extend(self._diff(period, old, self._segments(period)))
        if lines:
            self.pending = (*self.pending, *lines)

    def _diff(
        self, period: BillingPeriod, old: list[_Segment], new: list[_Segment]
    ) -> list[LineItem]:
        points = sorted({s[0] for s in old + new} | {s[1] for s in old + new})

        def fee_at(segments: list[_Segment], day: date) -> Money | None:
            for a, b, fee in segments:
                if a <= day < b:
                    return fee
            return None

        pairs: list[tuple[date, date, Money | None, Money | None]] = []
        for a, b in itertools.pairwise(points):
            pair = (fee_at(old, a), fee_at(new, a))
            if pair[0] == pair[1]:
                continue
            if pairs and pairs[-1][1] == a and pairs[-1][2:] == pair:
                pairs[-1] = (pairs[-1][0], b, *pair)
            else:
                pairs.append((a, b, *pair))
        lines: list[LineItem] = []
        for a, b, was, now in pairs:
            if was is not None:
                credit = self._line(period, a, b, was, credit=True)
                if credit is not None:
                    lines.append(credit)
            if now is not None:
                charge = self._line(period, a, b, now)
                if charge is not None:
                    lines.append(charge)
        return lines

    # -- changes -------------------------------------------------------------------------
    def _require_open(self, action: str) -> None:
        if self.status is RetainerStatus.CANCELLED:
            raise InvalidTransitionError("retainer", self.status.value, action, [])

    def _day(self, field: str, on: date | None, at: datetime) -> date:
        require_aware("at", at)
        day = self.local_date(at) if on is None else require_date(field, on)
        if day < self.starts_on:
            raise ValidationError(
                field, day, f"must not be before the start, {self.starts_on.isoformat()}"
            )
        if self.ends_on is not None and day >= self.ends_on:
            raise ValidationError(field, day, f"must be before the end, {self.ends_on.isoformat()}")
        return day

    def change_fee(self, fee: Money, at: datetime, *, effective_on: date | None = None) -> None:
        """Charge *fee* per period from *effective_on* (default: today, locally).

        A change inside a period already billed credits the old fee and
        charges the new one for the rest of that period.
        """
        self._require_open("changed")
        new_fee = _fee(fee)
        if new_fee.currency != self.terms.fee.currency:
            raise ValidationError("fee", fee, f"must be in {self.terms.fee.currency}")
        day = self._day("effective_on", effective_on, at)
        last = self.fee_changes[-1]
        if day < last.effective_on:
            raise ValidationError(
                "effective_on",
                day,
                f"must not be before the last fee change, {last.effective_on.isoformat()}",
            )
        old_fee = self.fee_on(day)

        def apply() -> None:
            kept = self.fee_changes[:-1] if last.effective_on == day else self.fee_changes
            self.fee_changes = (*kept, FeeChange(day, new_fee))

        self._adjust(day, apply)
        self._record(
            RetainerFeeChanged(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                old_fee=old_fee,
                new_fee=new_fee,
                effective_on=day,
            )
        )

    def pause(self, at: datetime, *, on: date | None = None) -> None:
        """Stop service and billing from *on* (default: today) until `resume`."""
        if self.status is not RetainerStatus.ACTIVE:
            raise InvalidTransitionError(
                "retainer", self.status.value, "paused", self._allowed_moves()
            )
        day = self._day("on", on, at)
        if self.pauses and self.pauses[-1].end is not None and day < self.pauses[-1].end:
            raise ValidationError("on", day, "must not be before the end of the previous pause")

        def apply() -> None:
            self.pauses = (*self.pauses, Pause(day))
            self.status = RetainerStatus.PAUSED

        self._adjust(day, apply)
        self._record(
            RetainerPaused(
                aggregate_id=self.id, occurred_at=at, party_id=self.party_id, paused_on=day
            )
        )

    def resume(self, at: datetime, *, on: date | None = None) -> None:
        """Restart service and billing on *on* (default: today); that day is billed."""
        if self.status is not RetainerStatus.PAUSED:
            raise InvalidTransitionError(
                "retainer", self.status.value, "resumed", self._allowed_moves()
            )
        day = self._day("on", on, at)
        current = self.pauses[-1]
        if day <= current.start:
            raise ValidationError(
                "on", day, f"must be after the pause began, {current.start.isoformat()}"
            )

        def apply() -> None:
            self.pauses = (*self.pauses[:-1], Pause(current.start, day))
            self.status = RetainerStatus.ACTIVE

        self._adjust(current.start, apply)
        self._record(
            RetainerResumed(
                aggregate_id=self.id, occurred_at=at, party_id=self.party_id, resumed_on=day
            )
        )

    def cancel(
        self, at: datetime, *, immediately: bool = False, on: date | None = None, reason: str = ""
    ) -> date:
        """End the retainer; returns the day service ends (exclusive).

        At period end (default) the period containing *on* (default: today)
        is the last one. *immediately* ends service on *on* itself: days of
        a billed period after it are credited (the biller turns them into a
        credit note). Cancelling inside the minimum term adds a true-up line
        for the committed fees not yet due.
        """
        self._require_open("cancelled")
        day = self._day("on", on, at)
        ends_on = day if immediately else self.schedule.period_of(day).end

        def apply() -> None:
            self.ends_on = ends_on
            if self.pauses and self.pauses[-1].end is None:
                self.pauses = (*self.pauses[:-1], Pause(self.pauses[-1].start, ends_on))
            self.status = RetainerStatus.CANCELLED

        self._adjust(ends_on, apply)
        self._true_up(ends_on)
        self._record(
            RetainerCancelled(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                ends_on=ends_on,
                immediately=immediately,
                reason=reason,
            )
        )
        return ends_on

    def _true_up(self, ends_on: date) -> None:
        commitment = self.commitment_ends_on
        if commitment is None or ends_on >= commitment:
            return
        fee = self.fee_on(max(ends_on - _DAY, self.starts_on))
        total = Money.zero(fee.currency)
        for period in self.schedule.periods_between(ends_on, commitment):
            a, b = max(period.start, ends_on), min(period.end, commitment)
            total = total + self.terms.proration.piece(fee, self.terms.cycle, period, a, b)
        if total.amount > 0:
            text = (
                f"Minimum term true-up {ends_on.isoformat()} to "
                f"{(commitment - _DAY).isoformat()} ({self.terms.minimum_periods} periods committed)"
            )
            line = LineItem._trusted(
                text,
                total,
                LineKind.TRUE_UP,
                self.terms.tax_rate,
                period_start=ends_on,
                period_end=commitment,
            )
            self.pending = (*self.pending, line)

    def _allowed_moves(self) -> list[str]:
        if self.status is RetainerStatus.ACTIVE:
            return ["paused", "changed", "cancelled"]
        if self.status is RetainerStatus.PAUSED:
            return ["resumed", "changed", "cancelled"]
        return []

    # -- hours ---------------------------------------------------------------------------------
    def record_hours(self, hours: Decimal | str | int, worked_on: date, at: datetime) -> Decimal:
        """Record hours worked on *worked_on*; returns the overage hours (billed later).

        Hours come out of the bank oldest lot first; hours beyond it become an
        overage line at the overage rate on the next document.
        """
        require_aware("at", at)
        policy = self.terms.hours
        if policy is None:
            raise ValidationError("hours", hours, "this retainer has no hours policy")
        amount = require_decimal("hours", hours, minimum=_ZERO)
        day = require_date("worked_on", worked_on)
        if not self.is_billable_on(day):
            raise ValidationError("worked_on", day, "the retainer is not in service on that day")
        period = self.schedule.period_of(day)
        bank = self.hours_bank
        if bank.period is not None and period.index < bank.period:
            raise ValidationError(
                "worked_on", day, "that period's hours are closed; record hours in order"
            )
        first = period.index if bank.period is None else bank.period + 1
        idle = frozenset(
            k
            for k in range(first, period.index + 1)
            if all(fee is None for _a, _b, fee in self._segments(self.schedule.period(k)))
        )
        bank, overage = bank.open(period.index, policy, no_grant=idle).consume(amount)
        self.hours_bank = bank
        if overage > 0:
            line = LineItem._trusted(
                f"Overage {overage} h at {policy.overage_rate} per hour "
                f"({period.start.isoformat()} to {(period.end - _DAY).isoformat()})",
                policy.overage_rate,
                LineKind.OVERAGE,
                self.terms.tax_rate,
                period_start=period.start,
                period_end=period.end,
                quantity=overage,
            )
            self.pending = (*self.pending, line)
        self._record(
            RetainerHoursRecorded(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                hours=amount,
                worked_on=day,
                overage_hours=overage,
            )
        )
        return overage
