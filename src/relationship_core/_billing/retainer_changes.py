"""A retainer's state changes that end or suspend billing: pause, resume, cancel, settle.

Functions over the `Retainer` (its methods call them) so the aggregate's
module stays small. Each change runs through ``Retainer._adjust``, which turns
what it does to periods already billed into adjustment lines.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from relationship_core._billing import retainer_trial
from relationship_core._billing.commitments import amount_true_up, term_true_up
from relationship_core._billing.events import RetainerCancelled, RetainerPaused, RetainerResumed
from relationship_core._billing.retainer_terms import Pause, RetainerStatus
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import InvalidTransitionError, ValidationError

if TYPE_CHECKING:
    from relationship_core._billing.retainer import Retainer

__all__ = ["cancel", "pause", "resume", "settle"]


def pause(retainer: Retainer, at: datetime, *, on: date | None = None) -> None:
    """Stop service and billing from *on* (default: today) until `resume`."""
    if retainer.status is not RetainerStatus.ACTIVE:
        raise InvalidTransitionError(
            "retainer", retainer.status.value, "paused", retainer._allowed_moves()
        )
    day = retainer._day("on", on, at)
    if retainer.in_trial_on(day):
        raise ValidationError(
            "on", day, f"the trial runs until {retainer.paid_from.isoformat()}; pause from then on"
        )
    if retainer.pauses and retainer.pauses[-1].end is not None and day < retainer.pauses[-1].end:
        raise ValidationError("on", day, "must not be before the end of the previous pause")

    def apply() -> None:
        retainer.pauses = (*retainer.pauses, Pause(day))
        retainer.status = RetainerStatus.PAUSED

    retainer._adjust(day, apply)
    retainer._record(
        RetainerPaused(
            aggregate_id=retainer.id, occurred_at=at, party_id=retainer.party_id, paused_on=day
        )
    )


def resume(retainer: Retainer, at: datetime, *, on: date | None = None) -> None:
    """Restart service and billing on *on* (default: today); that day is billed."""
    if retainer.status is not RetainerStatus.PAUSED:
        raise InvalidTransitionError(
            "retainer", retainer.status.value, "resumed", retainer._allowed_moves()
        )
    day = retainer._day("on", on, at)
    current = retainer.pauses[-1]
    if day <= current.start:
        raise ValidationError(
            "on", day, f"must be after the pause began, {current.start.isoformat()}"
        )

    def apply() -> None:
        retainer.pauses = (*retainer.pauses[:-1], Pause(current.start, day))
        retainer.status = RetainerStatus.ACTIVE

    retainer._adjust(current.start, apply)
    retainer._record(
        RetainerResumed(
            aggregate_id=retainer.id, occurred_at=at, party_id=retainer.party_id, resumed_on=day
        )
    )


def cancel(
    retainer: Retainer,
    at: datetime,
    *,
    immediately: bool = False,
    on: date | None = None,
    reason: str = "",
) -> date:
    """`Retainer.cancel`: end *retainer*; the day service ends (exclusive)."""
    retainer._require_open("cancelled")
    day = retainer._day("on", on, at)
    in_trial = retainer.in_trial_on(day) and retainer.trial is not None and not retainer.trial.ended
    if immediately:
        ends_on = day
    elif in_trial:
        ends_on = retainer.paid_from
    else:
        ends_on = retainer.schedule.period_of(day).end

    def apply() -> None:
        retainer.ends_on = ends_on
        if retainer.pauses and retainer.pauses[-1].end is None:
            retainer.pauses = (*retainer.pauses[:-1], Pause(retainer.pauses[-1].start, ends_on))
        retainer.status = RetainerStatus.CANCELLED

    retainer._adjust(ends_on, apply)
    if in_trial:
        retainer_trial.mark_cancelled(retainer, at, reason)
    else:
        _true_up(retainer, ends_on)
    retainer._record(
        RetainerCancelled(
            aggregate_id=retainer.id,
            occurred_at=at,
            party_id=retainer.party_id,
            ends_on=ends_on,
            immediately=immediately,
            reason=reason,
        )
    )
    return ends_on


def _true_up(retainer: Retainer, ends_on: date) -> None:
    lines = [term_true_up(retainer, ends_on)]
    window = retainer.commitment_window
    if window is not None and not retainer.commitment_settled and ends_on < window[1]:
        lines.append(amount_true_up(retainer, ends_on))
        retainer.commitment_settled = True
    found = [line for line in lines if line is not None]
    if found:
        retainer.pending = (*retainer.pending, *found)


def settle(retainer: Retainer, through: date, at: datetime) -> None:
    """Apply what falls due by the local date *through*: the trial's end, the window's end.

    The biller calls it before billing; it is idempotent. At the trial's
    end an undecided trial converts or cancels (its ``on_end``); at the
    end of an amount commitment's window the shortfall, if any, becomes
    a pending true-up line.
    """
    require_date("through", through)
    require_aware("at", at)
    trial = retainer.trial
    if trial is not None and not trial.ended and through >= trial.ends_on:
        retainer_trial.end(retainer, at)
    window = retainer.commitment_window
    if window is not None and not retainer.commitment_settled and through >= window[1]:
        retainer.commitment_settled = True
        line = amount_true_up(retainer, window[1])
        if line is not None:
            retainer.pending = (*retainer.pending, line)
