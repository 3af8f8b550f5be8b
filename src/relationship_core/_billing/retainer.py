"""The retainer aggregate: a client's fixed fee per billing cycle, and its changes.

A retainer keeps its *timeline* as plain data (service start and end, fee
changes, pauses, a trial) plus a billing marker, ``next_period``: every
period with a lower index has been billed. What a period costs is always
recomputed from the timeline (`relationship_core._billing.retainer_pricing`),
so a change that touches a period already billed turns into adjustment lines
- a credit for what was billed and no longer applies, a charge for what
applies now - kept in ``pending`` until the biller puts them on the next
document.

The terms and small records live in `retainer_terms`, trials in `trials` and
`retainer_trial`, commitments in `commitments`, hours in `retainer_hours`;
every public name stays importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from relationship_core._billing import (
    retainer_changes,
    retainer_hours,
    retainer_pricing,
    retainer_trial,
)
from relationship_core._billing._checks import require_text
from relationship_core._billing.bcd import BillCycleDaySchedule, Schedule
from relationship_core._billing.commitments import term_end
from relationship_core._billing.events import (
    RetainerFeeChanged,
    RetainerStarted,
)
from relationship_core._billing.hours import HoursBank
from relationship_core._billing.lines import LineItem
from relationship_core._billing.retainer_terms import (
    BillingTiming,
    FeeChange,
    Pause,
    RetainerStatus,
    RetainerTerms,
    check_fee,
)
from relationship_core._billing.schedule import BillingPeriod, BillingSchedule, local_billing_date
from relationship_core._billing.trials import TrialState
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "BillingTiming",
    "FeeChange",
    "Pause",
    "Retainer",
    "RetainerStatus",
    "RetainerTerms",
]

_DAY = timedelta(days=1)


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
        starts_on: First local day of service (of the trial, if any).
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
        trial: The trial as it runs, if the terms have one.
        commitment_settled: Whether the amount commitment's true-up was decided.
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
    trial: TrialState | None = None
    commitment_settled: bool = False
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
        With a trial, the trial runs from the start and the schedule is
        anchored on its end (see `relationship_core._billing.trials`).
        """
        require_aware("at", at)
        if not isinstance(terms, RetainerTerms):
            raise ValidationError("terms", terms, "expected RetainerTerms")
        day = local_billing_date(at, terms.time_zone) if starts_on is None else starts_on
        require_date("starts_on", day)
        trial = None
        if terms.trial is not None:
            terms, trial = retainer_trial.open_trial(terms, day)
        elif terms.anchor is None:
            terms = attrs.evolve(terms, anchor=day)
        retainer = cls(
            id=id,
            party_id=party_id,
            terms=terms,
            starts_on=day,
            engagement_id=engagement_id,
            fee_changes=(FeeChange(day, terms.fee),),
            business=business,
            trial=trial,
        )
        retainer.next_period = retainer.schedule.index_of(retainer.paid_from)
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
        if trial is not None:
            retainer_trial.record_started(retainer, at)
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

    @property
    def paid_from(self) -> date:
        """The first paid day: the trial's end, or the start without a trial."""
        return self.starts_on if self.trial is None else self.trial.ends_on

    @property
    def trial_ends_on(self) -> date | None:
        """The day after the trial (``None`` without one)."""
        return None if self.trial is None else self.trial.ends_on

    def in_trial_on(self, day: date) -> bool:
        """Whether *day* is a trial day (before the first paid day)."""
        return self.trial is not None and self.trial.covers(day)

    def fee_on(self, day: date) -> Money:
        """The fee in force on *day* (the paid fee; a trial prices its own pieces)."""
        fee = self.fee_changes[0].fee
        for change in self.fee_changes:
            if change.effective_on <= day:
                fee = change.fee
            else:
                break
        return fee

    def is_billable_on(self, day: date) -> bool:
        """Whether *day* is in service and not paused (trial days included)."""
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
        """End of the minimum term: *minimum_periods* full periods after the first paid day.

        A partial first period does not count towards the commitment.
        """
        return term_end(self)

    @property
    def commitment_window(self) -> tuple[date, date] | None:
        """``(start, end)`` of the amount commitment's window (``None`` without one)."""
        commitment = self.terms.commitment
        return None if commitment is None else commitment.window(self.paid_from)

    # -- pricing -----------------------------------------------------------------------
    def period_lines(self, period: BillingPeriod) -> tuple[LineItem, ...]:
        """The lines *period* costs under the current timeline (before adjustments)."""
        return retainer_pricing.period_lines(self, period)

    def _adjust(self, since: date, change: Callable[[], None]) -> None:
        """Apply *change*; re-price the billed periods from *since* on into adjustment lines."""
        retainer_pricing.adjust(self, since, change)

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
        charges the new one for the rest of that period. A change during a
        trial sets the fee paid from the trial's end.
        """
        self._require_open("changed")
        new_fee = check_fee(fee)
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
        retainer_changes.pause(self, at, on=on)

    def resume(self, at: datetime, *, on: date | None = None) -> None:
        """Restart service and billing on *on* (default: today); that day is billed."""
        retainer_changes.resume(self, at, on=on)

    def cancel(
        self, at: datetime, *, immediately: bool = False, on: date | None = None, reason: str = ""
    ) -> date:
        """End the retainer; returns the day service ends (exclusive).

        At period end (default) the period containing *on* (default: today)
        is the last one. *immediately* ends service on *on* itself: days of
        a billed period after it are credited (the biller turns them into a
        credit note). Cancelling inside the minimum term adds a true-up line
        for the committed fees not yet due; inside an amount commitment's
        window, a true-up line for the shortfall. Cancelling during the
        trial ends service at the trial's end (or on *on*, *immediately*),
        with no true-up: nothing paid was committed yet.
        """
        return retainer_changes.cancel(self, at, immediately=immediately, on=on, reason=reason)

    def settle(self, through: date, at: datetime) -> None:
        """Apply what falls due by the local date *through*: the trial's end, the window's end.

        The biller calls it before billing; it is idempotent. At the trial's
        end an undecided trial converts or cancels (its ``on_end``); at the
        end of an amount commitment's window the shortfall, if any, becomes
        a pending true-up line.
        """
        retainer_changes.settle(self, through, at)

    def _allowed_moves(self) -> list[str]:
        if self.status is RetainerStatus.ACTIVE:
            return ["paused", "changed", "cancelled"]
        if self.status is RetainerStatus.PAUSED:
            return ["resumed", "changed", "cancelled"]
        return []

    # -- trials --------------------------------------------------------------------------
    def extend_trial(
        self,
        at: datetime,
        *,
        days: int | None = None,
        periods: int | None = None,
        price: Money | None = None,
    ) -> date:
        """Lengthen the trial by *days* or *periods* (at *price*, default free); returns its end.

        Only before the trial has ended. The schedule moves with the end: the
        first paid period starts on the new end, which also sets the
        bill-cycle day when the old end did.
        """
        return retainer_trial.extend(self, at, days=days, periods=periods, price=price)

    def convert_trial(self, at: datetime) -> None:
        """Decide now that paid service follows the trial (billed from its end)."""
        retainer_trial.convert(self, at)

    def cancel_trial(
        self, at: datetime, *, immediately: bool = False, on: date | None = None, reason: str = ""
    ) -> date:
        """Decide now that nothing paid follows: service ends at the trial's end.

        With *immediately*, service ends on *on* (default: today) instead.
        Returns the end (exclusive).
        """
        retainer_trial.require_open_trial(self, "cancelled")
        return self.cancel(at, immediately=immediately, on=on, reason=reason or "trial cancelled")

    # -- hours ---------------------------------------------------------------------------------
    def record_hours(self, hours: Decimal | str | int, worked_on: date, at: datetime) -> Decimal:
        """Record hours worked on *worked_on*; returns the overage hours (billed later).

        Hours come out of the bank oldest lot first; hours beyond it become an
        overage line at the overage rate on the next document. Hours start
        with the first paid day (none during a trial).
        """
        return retainer_hours.record(self, hours, worked_on, at)
