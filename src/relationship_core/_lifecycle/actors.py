"""Who or what made a change: a person, a rule, an import, a form, billing or the system."""

from __future__ import annotations

import enum

import attrs

from relationship_core._domain.validators import non_empty_text, to_enum

__all__ = ["Actor", "ActorKind"]


class ActorKind(enum.Enum):
    """The kinds of actor a lifecycle move or a deal change can come from."""

    PERSON = "person"
    RULE = "rule"
    IMPORT = "import"
    FORM = "form"
    BILLING = "billing"
    SYSTEM = "system"


def _kind(value: object) -> ActorKind:
    return to_enum(ActorKind, "actor.kind", value)


@attrs.frozen
class Actor:
    """Who made a change, so "who moved this lead back?" has an answer.

    Examples:
        >>> Actor.person("ann")
        Actor(kind=<ActorKind.PERSON: 'person'>, id='ann')
        >>> str(Actor.rule("mql-threshold"))
        'rule:mql-threshold'

    Attributes:
        kind: Person, rule, import, form, billing or system.
        id: The person's id, the rule's key, the import batch, the form's id, ...
    """

    kind: ActorKind = attrs.field(converter=_kind)
    id: str = attrs.field(validator=non_empty_text)

    @classmethod
    def person(cls, id: str) -> Actor:
        """A colleague, by id."""
        return cls(ActorKind.PERSON, id)

    @classmethod
    def rule(cls, id: str) -> Actor:
        """An automation rule, by key."""
        return cls(ActorKind.RULE, id)

    @classmethod
    def system(cls, id: str = "relationship_core") -> Actor:
        """The library or the application itself."""
        return cls(ActorKind.SYSTEM, id)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"
