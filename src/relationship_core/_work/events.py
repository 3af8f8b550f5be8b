"""The work feature's events. Not registered at import: the platform registers `WORK_EVENTS`."""

from __future__ import annotations

from typing import ClassVar

import attrs

from relationship_core._domain.events import DomainEvent

__all__ = [
    "WORK_EVENTS",
    "ChecklistItemToggled",
    "CommentAdded",
    "OrderFulfilmentRequested",
    "RequirementRevised",
    "TaskAssigned",
    "TaskCreated",
    "TaskStatusChanged",
]


@attrs.frozen(kw_only=True)
class TaskCreated(DomainEvent):
    """A task was created (for an order, under a parent, or on its own)."""

    name: ClassVar[str] = "task.created"
    title: str
    status: str
    by: str
    order_id: str | None = None
    parent_id: str | None = None


@attrs.frozen(kw_only=True)
class TaskStatusChanged(DomainEvent):
    """A task moved from one status to another."""

    name: ClassVar[str] = "task.status_changed"
    from_status: str
    to_status: str
    closed: bool
    by: str


@attrs.frozen(kw_only=True)
class TaskAssigned(DomainEvent):
    """A task was given to a person or a team (``assignee`` ``None``: unassigned)."""

    name: ClassVar[str] = "task.assigned"
    assignee: str | None
    assignee_kind: str | None
    by: str


@attrs.frozen(kw_only=True)
class ChecklistItemToggled(DomainEvent):
    """A checklist item was ticked or unticked."""

    name: ClassVar[str] = "task.checklist_item_toggled"
    checklist_id: str
    item_id: str
    done: bool
    by: str


@attrs.frozen(kw_only=True)
class OrderFulfilmentRequested(DomainEvent):
    """An order's task was done: billing should fulfil the order (billing owns that state)."""

    name: ClassVar[str] = "task.order_fulfilment_requested"
    order_id: str
    by: str


@attrs.frozen(kw_only=True)
class RequirementRevised(DomainEvent):
    """A requirement document got a new revision."""

    name: ClassVar[str] = "requirement.revised"
    engagement_id: str
    revision: int
    by: str
    sections: tuple[str, ...]


@attrs.frozen(kw_only=True)
class CommentAdded(DomainEvent):
    """Someone commented on a task, a requirement document or a ticket."""

    name: ClassVar[str] = "comment.added"
    subject_kind: str
    subject_id: str
    author: str
    internal: bool
    mentions: tuple[str, ...]


#: The event classes of the work feature, for the platform to register.
WORK_EVENTS: tuple[type[DomainEvent], ...] = (
    TaskCreated,
    TaskStatusChanged,
    TaskAssigned,
    ChecklistItemToggled,
    OrderFulfilmentRequested,
    RequirementRevised,
    CommentAdded,
)
