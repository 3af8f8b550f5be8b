"""Who or what made a change: the one `Actor` of the library, re-exported for the lifecycle.

The lifecycle used to have an actor type of its own; moves, deals and the
units of work they are stored in now share `relationship_core.Actor`
(kinds person, rule, import, form, billing, system), so "who moved this lead
back?" has the same answer in a stage history and in the event log.

Examples:
    >>> Actor.person("ann")
    Actor(kind=<ActorKind.PERSON: 'person'>, id='ann')
    >>> Actor("form", "contact-us").kind is ActorKind.FORM
    True
"""

from __future__ import annotations

from relationship_core._domain.actor import Actor, ActorKind

__all__ = ["Actor", "ActorKind"]
