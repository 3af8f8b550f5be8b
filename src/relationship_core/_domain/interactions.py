"""Interactions: each contact with a party, logged against one of its engagements."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from relationship_core._domain.events import DomainEvent, register_event
from relationship_core._domain.ids import new_id
from relationship_core._domain.validators import (
    aware,
    identifier,
    optional_text,
    plain_text,
    to_enum,
    tuple_of,
)

__all__ = ["Channel", "Direction", "Interaction", "InteractionLogged", "last_contact"]


class Channel(enum.Enum):
    """How an interaction happened."""

    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    MESSAGE = "message"
    FORM = "form"


class Direction(enum.Enum):
    """Who reached out."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


def _channel(value: object) -> Channel:
    return to_enum(Channel, "channel", value)


def _direction(value: object) -> Direction:
    return to_enum(Direction, "direction", value)


@register_event("interaction.logged")
@attrs.frozen(kw_only=True)
class InteractionLogged(DomainEvent):
    """An e-mail, call, meeting, message or form was logged against an engagement."""

    interaction_id: str
    party_id: str
    channel: Channel


@attrs.frozen(kw_only=True)
class Interaction:
    """One contact with the party: the source of "last contact", which is never stored.

    Attributes:
        id: Stable id; sorts by creation time.
        engagement_id: The engagement it belongs to.
        party_id: The party contacted.
        channel: E-mail, call, meeting, message or form.
        occurred_at: When it happened (aware).
        summary: What was said or done.
        direction: Who reached out.
        by: The colleague involved, if any.
    """

    id: str = attrs.field(factory=new_id, validator=identifier)
    engagement_id: str = attrs.field(validator=identifier)
    party_id: str = attrs.field(validator=identifier)
    channel: Channel = attrs.field(converter=_channel)
    occurred_at: datetime = attrs.field(validator=aware)
    summary: str = attrs.field(default="", validator=plain_text)
    direction: Direction = attrs.field(default=Direction.OUTBOUND, converter=_direction)
    by: str | None = attrs.field(default=None, validator=optional_text)


def last_contact(interactions: Iterable[Interaction]) -> datetime | None:
    """The latest ``occurred_at`` among *interactions*, or ``None`` if there are none."""
    given = tuple_of("interactions", Interaction, interactions)
    return max((i.occurred_at for i in given), default=None)
