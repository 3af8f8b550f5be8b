"""A retainer's trial as it runs: opening, extending, converting, cancelling, ending.

Functions over the `Retainer` (its methods call them) so the aggregate's
module stays small; each records the matching ``retainer.trial_*`` event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from relationship_core._billing.cycles import CycleUnit
from relationship_core._billing.events import (
    RetainerTrialCancelled,
    RetainerTrialConverted,
    RetainerTrialEnded,
    RetainerTrialExtended,
    RetainerTrialStarted,
)
from relationship_core._billing.hours import HoursBank
from relationship_core._billing.retainer_terms import RetainerStatus, RetainerTerms
from relationship_core._billing.trials import (
    Trial,
    TrialEnd,
    TrialOutcome,
    TrialPiece,
    TrialState,
    trial_end,
)
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware
from relationship_core.exceptions import InvalidTransitionError, ValidationError

if TYPE_CHECKING:
    from relationship_core._billing.retainer import Retainer

__all__ = [
    "convert",
    "end",
    "extend",
    "mark_cancelled",
    "open_trial",
    "record_started",
    "require_open_trial",
]


def open_trial(terms: RetainerTerms, day: date) -> tuple[RetainerTerms, TrialState]:
    """The terms anchored on the end of *terms.trial* from *day*, and the trial's state.

    On a monthly cycle with no explicit ``bill_cycle_day`` the end's day of
    the month becomes the bill-cycle day.
    """
    trial = terms.trial
    if trial is None:
        raise ValidationError("terms.trial", trial, "expected a Trial")
    if terms.anchor is not None:
        raise ValidationError(
            "anchor",
            terms.anchor,
            "with a trial, the trial's end anchors the schedule; give bill_cycle_day "
            "to choose the day of the month instead",
        )
    ends_on = trial_end(day, terms.cycle, days=trial.days, periods=trial.periods)
    sets_day = terms.bill_cycle_day is None and terms.cycle.unit is CycleUnit.MONTH
    terms = attrs.evolve(
        terms, anchor=ends_on, bill_cycle_day=ends_on.day if sets_day else terms.bill_cycle_day
    )
    price = trial.price if trial.price is not None else Money.zero(terms.fee.currency)
    state = TrialState(
        (TrialPiece(day, ends_on, price),),
        document=trial.document,
        on_end=trial.on_end,
        sets_bill_cycle_day=sets_day,
    )
    return terms, state


def _trial(retainer: Retainer) -> TrialState:
    if retainer.trial is None:
        raise ValidationError("trial", None, "this retainer has no trial")
    return retainer.trial


def record_started(retainer: Retainer, at: datetime) -> None:
    """Record `RetainerTrialStarted` for a retainer that just started."""
    trial = _trial(retainer)
    retainer._record(
        RetainerTrialStarted(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            starts_on=trial.starts_on,
            ends_on=trial.ends_on,
            price=trial.pieces[0].price,
        )
    )


def require_open_trial(retainer: Retainer, action: str) -> TrialState:
    """The trial, if it is still running and undecided; else `InvalidTransitionError`."""
    trial = _trial(retainer)
    if trial.ended:
        state = "ended"
    elif trial.outcome is not None:
        state = trial.outcome.value
    elif retainer.status is RetainerStatus.CANCELLED:
        state = "cancelled"
    else:
        return trial
    raise InvalidTransitionError("trial", state, action, [])


def extend(
    retainer: Retainer,
    at: datetime,
    *,
    days: int | None,
    periods: int | None,
    price: Money | None,
) -> date:
    """`Retainer.extend_trial`: add a piece after the trial's end and move the schedule."""
    require_aware("at", at)
    trial = require_open_trial(retainer, "extended")
    today = retainer.local_date(at)
    if today > trial.ends_on:
        raise ValidationError(
            "at", at, f"the trial ended on {trial.ends_on.isoformat()}; extend it before then"
        )
    asked = Trial(days=days, periods=periods, price=price)  # one validator for both
    terms = retainer.terms
    if asked.price is not None and asked.price.currency != terms.fee.currency:
        raise ValidationError("price", price, f"must be in {terms.fee.currency}")
    old_end = trial.ends_on
    ends_on = trial_end(old_end, terms.cycle, days=asked.days, periods=asked.periods)
    piece = TrialPiece(old_end, ends_on, asked.price or Money.zero(terms.fee.currency))
    retainer.trial = attrs.evolve(trial, pieces=(*trial.pieces, piece))
    day = ends_on.day if trial.sets_bill_cycle_day else terms.bill_cycle_day
    retainer.terms = attrs.evolve(terms, anchor=ends_on, bill_cycle_day=day)
    # Nothing after the trial is billed yet (its end has not been reached), so
    # the marker simply moves to the period holding the new end.
    retainer.next_period = retainer.schedule.index_of(ends_on)
    if terms.hours is not None:
        retainer.hours_bank = HoursBank().open(retainer.next_period, terms.hours)
    retainer._record(
        RetainerTrialExtended(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            old_ends_on=old_end,
            ends_on=ends_on,
            price=piece.price,
        )
    )
    return ends_on


def convert(retainer: Retainer, at: datetime, *, automatic: bool = False) -> None:
    """`Retainer.convert_trial`: paid service follows the trial."""
    require_aware("at", at)
    trial = _trial(retainer) if automatic else require_open_trial(retainer, "converted")
    retainer.trial = attrs.evolve(trial, outcome=TrialOutcome.CONVERTED)
    retainer._record(
        RetainerTrialConverted(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            ends_on=trial.ends_on,
            automatic=automatic,
        )
    )


def mark_cancelled(retainer: Retainer, at: datetime, reason: str) -> None:
    """Record that the retainer was cancelled during its trial (no commitment applies)."""
    trial = _trial(retainer)
    retainer.trial = attrs.evolve(trial, outcome=TrialOutcome.CANCELLED)
    retainer.commitment_settled = True
    retainer._record(
        RetainerTrialCancelled(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            ends_on=retainer.ends_on or trial.ends_on,
            reason=reason,
        )
    )


def end(retainer: Retainer, at: datetime) -> None:
    """The trial's end was reached: decide an undecided trial by its ``on_end``; record it."""
    trial = _trial(retainer)
    if trial.outcome is None and retainer.status is not RetainerStatus.CANCELLED:
        if trial.on_end is TrialEnd.CONVERT:
            convert(retainer, at, automatic=True)
        else:
            last_day = date.fromordinal(trial.ends_on.toordinal() - 1)
            retainer.cancel(at, on=max(last_day, retainer.starts_on), reason="trial ended")
    trial = _trial(retainer)
    retainer.trial = attrs.evolve(trial, ended=True)
    outcome = trial.outcome
    if outcome is None:  # cancelled on or after the end's day, before any run saw the end
        later = retainer.ends_on is None or retainer.ends_on > trial.ends_on
        outcome = TrialOutcome.CONVERTED if later else TrialOutcome.CANCELLED
    retainer._record(
        RetainerTrialEnded(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            ended_on=trial.ends_on,
            outcome=outcome.value,
        )
    )
