"""Who did it: the actor a unit of work runs for, carried by every event and record version."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from relationship_core._domain.validators import optional_text
from relationship_core.exceptions import ValidationError

__all__ = ["Actor", "ActorKind"]


class ActorKind(enum.Enum):
    """What kind of actor made a change."""

    PERSON = "person"
    RULE = "rule"
    IMPORT = "import"
    FORM = "form"
    BILLING = "billing"
    SYSTEM = "system"


def _kind(value: object) -> ActorKind:
    try:
        return ActorKind(value)
    except ValueError:
        known = ", ".join(k.value for k in ActorKind)
        raise ValidationError("actor.kind", value, f"expected one of: {known}") from None


@attrs.frozen
class Actor:
    """Who made a change: a person, a rule, an import, a web form, billing or the system.

    Examples:
        >>> Actor.person("u-42")
        Actor(kind=<ActorKind.PERSON: 'person'>, id='u-42')
        >>> Actor.from_dict(Actor.rule("welcome").to_dict()) == Actor.rule("welcome")
        True

    Attributes:
        kind: What kind of actor.
        id: Which one (a user id, a rule name, an import batch...); ``None`` for the system.
    """

    kind: ActorKind = attrs.field(converter=_kind)
    id: str | None = attrs.field(default=None, validator=optional_text)

    @classmethod
    def system(cls) -> Actor:
        """The library or application itself, acting for nobody in particular (the default)."""
        return cls(ActorKind.SYSTEM)

    @classmethod
    def person(cls, id: str) -> Actor:
        """A signed-in user."""
        return cls(ActorKind.PERSON, id)

    @classmethod
    def rule(cls, name: str) -> Actor:
        """An automation rule."""
        return cls(ActorKind.RULE, name)

    @classmethod
    def importer(cls, batch: str | None = None) -> Actor:
        """A data import (optionally naming its batch)."""
        return cls(ActorKind.IMPORT, batch)

    @classmethod
    def form(cls, name: str | None = None) -> Actor:
        """A web form submission."""
        return cls(ActorKind.FORM, name)

    @classmethod
    def billing(cls, name: str | None = None) -> Actor:
        """The billing run."""
        return cls(ActorKind.BILLING, name)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "person", "id": "u-42"}``."""
        return {"kind": self.kind.value, "id": self.id}

    @classmethod
    def from_dict(cls, data: object) -> Actor:
        """Inverse of `to_dict`; anything else is a ``ValidationError``."""
        if not isinstance(data, dict) or "kind" not in data:
            raise ValidationError("actor", data, 'expected {"kind": ..., "id": ...}')
        return cls(data["kind"], data.get("id"))
