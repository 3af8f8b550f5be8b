"""Decay crossings as jobs: a score that falls with time raises its event when it crosses.

Every rescore (`rescore_party`) asks `next_crossing` when decay alone will
take the party below the ``down`` level of the highest threshold it is above,
and, if ever, enqueues one job on `DECAY_QUEUE` due at that instant, in the
same unit of work (idempotency key ``scoring.decay:<score id>:<instant>``, so a
replay enqueues nothing new). The scoring plugin contributes the job's
handler: the runner claims the job when it is due and `check_decay` rescores
the party **as of the job's due instant**, so ``score.crossed`` carries the
crossing's own time even when the runner is late; that rescore enqueues the
next check in turn (a lower threshold).

A check is one instant, not a series, so it is a single job rather than a
`Schedule` (`crm.schedules`): a schedule repeats on wall-clock steps, while
the crossing moves whenever the party does something. A check made stale by
a later rescore (the stored snapshot is newer than the job) does nothing; the
later rescore enqueued its own.

Switch the checks off with ``open(url, config={"scoring": {"decay_checks": False}})``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from relationship_core._scoring.engine import Lead, LeadState
from relationship_core._scoring.model import ScoringModel
from relationship_core._scoring.stored import PartyScore
from relationship_core._scoring.thresholds import ScoringState, next_crossing
from relationship_core._storage.contract import Job, NewJob

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["DECAY_CHECKS", "DECAY_QUEUE", "decay_key", "enqueue_decay_check"]

#: The queue of decay checks (the scoring plugin contributes its handler).
DECAY_QUEUE = "scoring.decay-check"

#: The ``scoring`` setting switching decay checks (default ``True``).
DECAY_CHECKS = "decay_checks"


def decay_key(stored: PartyScore, due: datetime) -> str:
    """``scoring.decay:<score id>:<due ISO>``: one check per score and instant."""
    return f"scoring.decay:{stored.id}:{due.isoformat()}"


def enqueue_decay_check(
    uow: UnitOfWork, stored: PartyScore, model: ScoringModel, lead: Lead, at: datetime
) -> datetime | None:
    """Enqueue the check at the score's next decay crossing after *at*; its due instant, if any."""
    if not uow.config("scoring").get(DECAY_CHECKS, True):
        return None
    if not model.thresholds or stored.crossed.level == 0:
        return None
    due = next_crossing(ScoringState(LeadState(lead), stored.crossed), model, at)
    if due is None or due <= at:
        return None  # never, or already below: this rescore fired it
    uow.enqueue(
        NewJob(
            DECAY_QUEUE,
            {"party_id": stored.party_id, "model": stored.model},
            due,
            idempotency_key=decay_key(stored, due),
        )
    )
    return due


def is_stale(stored: PartyScore | None, job: Job) -> bool:
    """The party was rescored at or after the job's instant (that rescore scheduled its own)."""
    return stored is None or stored.snapshot is None or stored.snapshot.as_of >= job.due_at
