"""A party's lifecycle: one append-only history of moves, checked against its lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import attrs

from relationship_core._domain.actor import Actor
from relationship_core._domain.engagements import EngagementKind
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import (
    MAX_ID_LENGTH,
    check_text,
    identifier,
    to_enum,
    tuple_of,
)
from relationship_core._lifecycle._checks import optional_text, require_bool
from relationship_core._lifecycle.definition import DEFAULT_LIFECYCLE, Lifecycle
from relationship_core._lifecycle.engagement_moves import (
    EngagementStageNames,
    PlannedMove,
    moves_for_engagement_event,
)
from relationship_core._lifecycle.timeline import LifecycleView, StageMove, timeline_order
from relationship_core.exceptions import ValidationError

__all__ = ["LifecycleStageChanged", "PartyLifecycle"]


@attrs.frozen(kw_only=True)
class LifecycleStageChanged(DomainEvent):
    """A party moved from one lifecycle stage to another.

    ``aggregate_id`` is the party's id. ``backdated`` is true when the move
    was recorded after later moves had already occurred (a correction).
    """

    name: ClassVar[str] = "lifecycle.stage_changed"

    party_id: str
    from_stage: str | None
    to_stage: str
    recorded_at: datetime
    actor: Actor
    reason_code: str | None = None
    source_id: str | None = None
    backdated: bool = False


def _live(value: Mapping[str, EngagementKind]) -> dict[str, EngagementKind]:
    if not isinstance(value, Mapping):
        raise ValidationError("engagements", value, "expected a mapping of engagement id to kind")
    return {
        check_text("engagements", k, max_length=MAX_ID_LENGTH): to_enum(
            EngagementKind, f"engagements.{k}", v
        )
        for k, v in value.items()
    }


def _moves(value: object) -> tuple[StageMove, ...]:
    return tuple_of("moves", StageMove, value)


def _lifecycle(_instance: object, attribute: attrs.Attribute[Lifecycle], value: object) -> None:
    if not isinstance(value, Lifecycle):
        raise ValidationError(attribute.name, value, "give a Lifecycle (Lifecycle.from_mapping)")


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class PartyLifecycle(EventRecorder):
    """The lifecycle stage of one party, as an append-only history.

    The stage belongs to the party, not to an engagement: a party with
    several engagements has one history (see `moves_for_engagement_event`
    for how engagement events become moves). Change it only through
    `move`; every figure ("became a customer on", time in stage, ...) is
    derived from `moves` by `as_of`.

    Attributes:
        party_id: The party.
        lifecycle: The lifecycle its moves are checked against.
        moves: Every move, in recording order.
        engagements: The party's live engagements (id -> kind) as the
            engagement events `follow` has seen them; they decide customer,
            client and churned.
    """

    party_id: str = attrs.field(validator=identifier)
    lifecycle: Lifecycle = attrs.field(default=DEFAULT_LIFECYCLE, validator=_lifecycle)
    moves: tuple[StageMove, ...] = attrs.field(factory=tuple, converter=_moves)
    engagements: dict[str, EngagementKind] = attrs.field(factory=dict, converter=_live)
    _events: list[DomainEvent] = events_field()

    def as_of(self, instant: datetime, *, known_at: datetime | None = None) -> LifecycleView:
        """The history as it stands at *instant* (and, with *known_at*, as recorded by then)."""
        return LifecycleView(self.lifecycle, self.moves, instant, known_at=known_at)

    def stage_at(self, instant: datetime) -> str | None:
        """The stage the party was in at *instant*."""
        return self.as_of(instant).stage

    @property
    def stage(self) -> str | None:
        """The stage after the latest move in the timeline (``None`` before any)."""
        if not self.moves:
            return None
        return max(self.moves, key=timeline_order).to_stage

    def apply(self, planned: PlannedMove, *, recorded_at: datetime) -> StageMove:
        """Record a move that `moves_for_engagement_event` planned."""
        return self.move(
            planned.to_stage,
            occurred_at=planned.occurred_at,
            recorded_at=recorded_at,
            actor=planned.actor,
            source_id=planned.source_id,
            reason_code=planned.reason_code,
            note=planned.note,
        )

    def follow(
        self,
        event: DomainEvent,
        *,
        recorded_at: datetime,
        actor: Actor | None = None,
        names: EngagementStageNames | None = None,
    ) -> tuple[StageMove, ...]:
        """Apply what an engagement event means for the stage; the moves it recorded.

        Keeps `engagements` up to date and runs `moves_for_engagement_event`
        against them. Following the same event again changes nothing: its
        engagement is already counted, and its moves carry the event's source id.
        """
        planned, live = moves_for_engagement_event(
            event,
            live=self.engagements,
            current=self.stage,
            lifecycle=self.lifecycle,
            names=names,
            actor=actor,
        )
        done = []
        for move in planned:
            floor = self.moves[-1].recorded_at if self.moves else recorded_at
            done.append(self.apply(move, recorded_at=max(recorded_at, move.occurred_at, floor)))
        if live != self.engagements:
            object.__setattr__(self, "engagements", live)
        return tuple(done)

    def move(
        self,
        to: str,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        actor: Actor,
        source_id: str | None = None,
        reason_code: str | None = None,
        note: str = "",
        override: bool = False,
    ) -> StageMove:
        """Move the party to stage *to* and record `LifecycleStageChanged`.

        The move is checked against the stage at *occurred_at*, so a
        back-dated correction is checked where it lands in the timeline (the
        moves after it are not re-checked). A move whose *source_id* was
        already applied with the same target is returned again, not repeated,
        so a redelivered event moves a party once.

        Raises:
            InvalidTransitionError: The lifecycle does not allow it; names the allowed moves.
            ValidationError: A reason is missing, or the instants are naive or out of order.
        """
        require_aware("occurred_at", occurred_at)
        require_aware("recorded_at", recorded_at)
        if not isinstance(actor, Actor):
            raise ValidationError("actor", actor, "expected an Actor, e.g. Actor.person('ann')")
        source_id = optional_text("source_id", source_id)
        reason_code = optional_text("reason_code", reason_code)
        if not isinstance(note, str):
            raise ValidationError("note", note, "expected text")
        require_bool("override", override)
        if occurred_at > recorded_at:
            raise ValidationError(
                "occurred_at", occurred_at, "is after recorded_at; a move cannot be recorded early"
            )
        if self.moves and recorded_at < self.moves[-1].recorded_at:
            raise ValidationError(
                "recorded_at",
                recorded_at,
                "is before the last recorded move; the history is append-only "
                "(back-date with occurred_at instead)",
            )
        if source_id is not None:
            for earlier in self.moves:
                if earlier.source_id == source_id and earlier.to_stage == to:
                    return earlier
        current = self.stage_at(occurred_at)
        self.lifecycle.check_move(
            current, to, override=override, reason_code=reason_code, note=note
        )
        move = StageMove(
            sequence=len(self.moves),
            from_stage=current,
            to_stage=to,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            source_id=source_id,
            reason_code=reason_code,
            note=note,
            override=override,
        )
        backdated = any(m.occurred_at > occurred_at for m in self.moves)
        object.__setattr__(self, "moves", (*self.moves, move))
        self._record(
            LifecycleStageChanged(
                aggregate_id=self.party_id,
                occurred_at=occurred_at,
                party_id=self.party_id,
                from_stage=current,
                to_stage=to,
                recorded_at=recorded_at,
                actor=actor,
                reason_code=reason_code,
                source_id=source_id,
                backdated=backdated,
            )
        )
        return move
