"""Units of work for the work and support services: who acts, retried on lost races, whose subject."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from relationship_core._domain.actor import Actor
from relationship_core._domain.engagements import Engagement
from relationship_core._work.comments import SubjectKind
from relationship_core._work.requirements import RequirementDocument
from relationship_core._work.tasks import Task
from relationship_core.exceptions import ConflictError, DuplicateIdError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import UnitOfWork

__all__ = ["actor_name", "attempt", "subject_party"]

T = TypeVar("T")


def actor_name(actor: Actor) -> str:
    """The ``by`` an actor leaves on what it records: its id, or its kind for the system."""
    if not isinstance(actor, Actor):
        raise ValidationError("actor", actor, "give an Actor, e.g. Actor.person('u-42')")
    return actor.id if actor.id is not None else actor.kind.value


def attempt(crm: CRM, actor: Actor, work: Callable[[UnitOfWork], T], attempts: int = 3) -> T:
    """``work`` in a unit of work by *actor*, again on a lost race (not on a taken id)."""
    for left in range(attempts - 1, -1, -1):
        try:
            with crm.unit_of_work(actor=actor) as uow:
                return work(uow)
        except DuplicateIdError:
            raise
        except ConflictError:
            if not left:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def subject_party(uow: UnitOfWork, kind: SubjectKind, subject_id: str) -> str | None:
    """The party whose task, requirement document or ticket *subject_id* is (``NotFoundError`` if none)."""
    if kind is SubjectKind.TASK:
        party: str | None = uow.repository(Task).get(subject_id).party_id
        return party
    if kind is SubjectKind.REQUIREMENT:
        doc = uow.repository(RequirementDocument).get(subject_id)
        owner: str = uow.repository(Engagement).get(doc.engagement_id).party_id
        return owner
    found: str | None = uow.repository("ticket").get(subject_id).party_id
    return found
