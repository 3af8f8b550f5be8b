"""What a lifecycle history says, derived: stays, "became X on", time in stage, as of any instant.

Nothing here is stored. Every figure is computed from the moves, so a
back-dated correction (a move recorded later with an earlier ``occurred_at``)
changes every figure it touches, and nothing can disagree with the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from relationship_core._domain.actor import Actor
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import tuple_of
from relationship_core._lifecycle.definition import Lifecycle, StageKind
from relationship_core.exceptions import ValidationError

__all__ = ["LifecycleView", "StageMove", "StageStats", "Stay", "timeline_order"]


@attrs.frozen(kw_only=True)
class StageMove:
    """One move of a party's lifecycle, as recorded; never changed afterwards.

    Attributes:
        sequence: Position in recording order, 0 first.
        from_stage: The stage at ``occurred_at`` when it was recorded (``None``: the first move).
        to_stage: The stage entered.
        occurred_at: When the move happened (aware).
        recorded_at: When it was written down (aware; later than ``occurred_at``
            for a back-dated correction).
        actor: Who or what made it.
        source_id: The form, event, import row or invoice it came from, if any.
        reason_code: Why, as a code a report can group by (``"no-budget"``).
        note: Why, in words.
        override: Whether it was a backward move allowed by an explicit override.
    """

    sequence: int
    from_stage: str | None
    to_stage: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    source_id: str | None = None
    reason_code: str | None = None
    note: str = ""
    override: bool = False


def timeline_order(move: StageMove) -> tuple[datetime, datetime, int]:
    """Sort key of the effective timeline: when it happened, then when it was recorded."""
    return (move.occurred_at, move.recorded_at, move.sequence)


@attrs.frozen(kw_only=True)
class Stay:
    """An uninterrupted time in one stage.

    Attributes:
        stage: The stage.
        cycle: Which cycle it belongs to (0 first; entering a recycled stage starts the next).
        entered_at: When the party entered it.
        exited_at: When it left (``None``: still there at the view's instant).
    """

    stage: str
    cycle: int
    entered_at: datetime
    exited_at: datetime | None


@attrs.frozen(kw_only=True)
class StageStats:
    """Every derived figure for one stage, as of one instant.

    Attributes:
        stage: The stage.
        first_entered: "Became X on": the first time it was entered.
        last_entered: The latest time it was entered.
        exited: The latest time it was left (``None`` if never left).
        latest_time: Length of the latest stay (up to the view's instant if open).
        cumulative_time: All stays together.
        entries: How many times it was entered.
        reentries: Entries after the first.
    """

    stage: str
    first_entered: datetime | None
    last_entered: datetime | None
    exited: datetime | None
    latest_time: timedelta | None
    cumulative_time: timedelta
    entries: int
    reentries: int


class LifecycleView:
    """A history read as of one instant: only moves that had occurred by then count.

    With *known_at*, only moves recorded by then count too: "what did we
    believe on that day", before later corrections.
    """

    __slots__ = ("_ended", "_moves", "_stays", "as_of", "lifecycle")

    def __init__(
        self,
        lifecycle: Lifecycle,
        moves: Iterable[StageMove],
        as_of: datetime,
        *,
        known_at: datetime | None = None,
    ) -> None:
        if not isinstance(lifecycle, Lifecycle):
            raise ValidationError(
                "lifecycle", lifecycle, "give a Lifecycle (Lifecycle.from_mapping)"
            )
        self.lifecycle = lifecycle
        self.as_of = require_aware("as_of", as_of)
        if known_at is not None:
            require_aware("known_at", known_at)
        self._moves = sorted(
            (
                m
                for m in tuple_of("moves", StageMove, moves)
                if m.occurred_at <= as_of and (known_at is None or m.recorded_at <= known_at)
            ),
            key=timeline_order,
        )
        self._stays, self._ended = self._replay()

    def _replay(self) -> tuple[tuple[Stay, ...], tuple[tuple[str | None, str], ...]]:
        stays: list[Stay] = []
        ended: list[tuple[str | None, str]] = []
        cycle = 0
        for move in self._moves:
            current = stays[-1].stage if stays else None
            if move.to_stage == current:
                continue  # a correction that restates the stage does not start a new stay
            kind = self.lifecycle.stage(move.to_stage).kind
            if kind is StageKind.RECYCLED and stays:
                cycle += 1
            if kind is StageKind.ENDED:
                ended.append((current, move.to_stage))
            if stays:
                stays[-1] = attrs.evolve(stays[-1], exited_at=move.occurred_at)
            stays.append(
                Stay(stage=move.to_stage, cycle=cycle, entered_at=move.occurred_at, exited_at=None)
            )
        return tuple(stays), tuple(ended)

    # -- the present of the view ----------------------------------------------
    @property
    def moves(self) -> tuple[StageMove, ...]:
        """The moves that count, in timeline order."""
        return tuple(self._moves)

    @property
    def stage(self) -> str | None:
        """The stage at the view's instant (``None`` before the first move)."""
        return self._stays[-1].stage if self._stays else None

    @property
    def cycle(self) -> int:
        """The current cycle: 0, plus one per reactivation."""
        return self._stays[-1].cycle if self._stays else 0

    def stays(self, stage: str | None = None) -> tuple[Stay, ...]:
        """Every stay, oldest first; only those in *stage* when given."""
        if stage is not None:
            self.lifecycle.stage(stage)
        return tuple(s for s in self._stays if stage is None or s.stage == stage)

    def _length(self, stay: Stay) -> timedelta:
        return (stay.exited_at or self.as_of) - stay.entered_at

    # -- derived figures ------------------------------------------------------
    def became(self, stage: str) -> datetime | None:
        """ "Became X on": the first time *stage* was entered."""
        return self.first_entered(stage)

    def first_entered(self, stage: str) -> datetime | None:
        """The first time *stage* was entered."""
        stays = self.stays(stage)
        return stays[0].entered_at if stays else None

    def last_entered(self, stage: str) -> datetime | None:
        """The latest time *stage* was entered."""
        stays = self.stays(stage)
        return stays[-1].entered_at if stays else None

    def exited(self, stage: str) -> datetime | None:
        """The latest time *stage* was left."""
        left = [s.exited_at for s in self.stays(stage) if s.exited_at is not None]
        return left[-1] if left else None

    def latest_time_in(self, stage: str) -> timedelta | None:
        """Length of the latest stay in *stage* (to the view's instant if still there)."""
        stays = self.stays(stage)
        return self._length(stays[-1]) if stays else None

    def cumulative_time_in(self, stage: str) -> timedelta:
        """Total time spent in *stage*, over every stay and cycle."""
        return sum((self._length(s) for s in self.stays(stage)), timedelta())

    def entries(self, stage: str) -> int:
        """How many times *stage* was entered."""
        return len(self.stays(stage))

    def reentries(self, stage: str) -> int:
        """How many times *stage* was entered again after the first."""
        return max(self.entries(stage) - 1, 0)

    @property
    def stage_before_loss(self) -> str | None:
        """The stage left by the latest move into an ended stage (lost, churned, ...)."""
        return self._ended[-1][0] if self._ended else None

    def stats(self, stage: str) -> StageStats:
        """Every figure for *stage* at once."""
        return StageStats(
            stage=stage,
            first_entered=self.first_entered(stage),
            last_entered=self.last_entered(stage),
            exited=self.exited(stage),
            latest_time=self.latest_time_in(stage),
            cumulative_time=self.cumulative_time_in(stage),
            entries=self.entries(stage),
            reentries=self.reentries(stage),
        )
