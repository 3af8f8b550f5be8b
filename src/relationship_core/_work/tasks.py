"""The task aggregate: work for an order or on its own, moved through a business's workflow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import attrs

from relationship_core._domain.custom_fields import CustomFieldSchema, CustomValue
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core._domain.validators import non_empty_text, to_enum
from relationship_core._work.checklists import Checklist
from relationship_core._work.events import (
    ChecklistItemToggled,
    OrderFulfilmentRequested,
    TaskAssigned,
    TaskCreated,
    TaskStatusChanged,
)
from relationship_core._work.task_values import (
    Assignee,
    AssigneeKind,
    BlockedError,
    FulfilOrder,
    Priority,
    Progress,
)
from relationship_core._work.workflow import DEFAULT_WORKFLOW, StatusCategory, Workflow
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "Assignee",
    "AssigneeKind",
    "BlockedError",
    "FulfilOrder",
    "Priority",
    "Progress",
    "Task",
]


def _tags(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        raise ValidationError("tags", values, "expected a list of tags")
    result = set()
    for tag in values:
        if not isinstance(tag, str) or not tag.strip() or len(tag) > 64:
            raise ValidationError("tags", tag, "a tag is non-empty text of at most 64 characters")
        result.add(" ".join(tag.split()).lower())
    return frozenset(result)


def _optional_date(field: str, value: object) -> date | None:
    return None if value is None else require_date(field, value)


def _estimate(value: object) -> timedelta | None:
    if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
        raise ValidationError(
            "estimate", value, "give a positive timedelta, e.g. timedelta(hours=2)"
        )
    return value


def _priority(value: object) -> Priority:
    return to_enum(Priority, "priority", value)


@attrs.define(kw_only=True)
class Task(EventRecorder):
    """A unit of work: an order's fulfilment step, a subtask, or a task on its own.

    Create with `Task.create`. Status moves follow the business's `Workflow`;
    progress is derived (`progress`), never stored.

    Attributes:
        id: The task's id.
        title: What to do.
        workflow: The business's workflow this task follows.
        status: Its status's name.
        created_at: When it was created.
        order_id: The order it fulfils, if any.
        party_id: The client or customer it is for, if any (their portal shows it when shared).
        shared: Whether the party may see it and its progress (default: internal).
        engagement_id: The engagement it serves, if any.
        parent_id: The parent task of a subtask.
        assignee: The person or team doing it.
        priority: Urgent, high, normal (default) or low.
        tags: Lower-cased labels.
        starts_on: The local day work should start.
        due_on: The local day it is due.
        estimate: How long it should take.
        checklists: Its checklists.
        custom_fields: Values of the business's custom fields, validated.
        blocked_by: Ids of the tasks that must close before this one starts or is done.
        closed_at: When it was last closed, or ``None`` while open.
    """

    id: str
    title: str = attrs.field(validator=non_empty_text)
    workflow: Workflow = attrs.field(repr=False)
    status: str
    created_at: datetime
    order_id: str | None = None
    party_id: str | None = None
    shared: bool = False
    engagement_id: str | None = None
    parent_id: str | None = None
    assignee: Assignee | None = None
    priority: Priority = attrs.field(default=Priority.NORMAL, converter=_priority)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_tags)
    starts_on: date | None = None
    due_on: date | None = None
    estimate: timedelta | None = attrs.field(default=None, converter=_estimate)
    checklists: list[Checklist] = attrs.field(factory=list)
    custom_fields: dict[str, CustomValue] = attrs.field(factory=dict)
    blocked_by: frozenset[str] = attrs.field(factory=frozenset)
    closed_at: datetime | None = None
    _events: list[DomainEvent] = events_field()

    @classmethod
    def create(
        cls,
        title: str,
        *,
        by: str,
        at: datetime,
        id: str | None = None,
        workflow: Workflow = DEFAULT_WORKFLOW,
        schema: CustomFieldSchema | None = None,
        fields: Mapping[str, object] | None = None,
        order_id: str | None = None,
        party_id: str | None = None,
        shared: bool = False,
        engagement_id: str | None = None,
        parent: Task | None = None,
        assignee: Assignee | None = None,
        priority: Priority | str = Priority.NORMAL,
        tags: Iterable[str] = (),
        starts_on: date | None = None,
        due_on: date | None = None,
        estimate: timedelta | None = None,
    ) -> Task:
        """A new task in the workflow's first status; a subtask when *parent* is given."""
        require_aware("at", at)
        non_empty_text(None, attrs.fields(cls).title, title)
        starts = _optional_date("starts_on", starts_on)
        due = _optional_date("due_on", due_on)
        if starts is not None and due is not None and due < starts:
            raise ValidationError("due_on", due, f"before the start day {starts}")
        values = (schema or CustomFieldSchema()).validate(dict(fields or {}))
        if parent is not None and parent.is_closed:
            raise ValidationError("parent", parent.id, "the parent task is closed; reopen it first")
        if not isinstance(shared, bool):
            raise ValidationError("shared", shared, "give True (the party sees it) or False")
        task = cls(
            id=new_id() if id is None else id,
            title=title,
            workflow=workflow,
            status=workflow.initial.name,
            created_at=at,
            order_id=order_id,
            party_id=party_id if parent is None else parent.party_id,
            shared=shared,
            engagement_id=engagement_id if parent is None else parent.engagement_id,
            parent_id=None if parent is None else parent.id,
            assignee=assignee,
            priority=priority,
            tags=tags,
            starts_on=starts,
            due_on=due,
            estimate=estimate,
            custom_fields=dict(values),
        )
        task._record(
            TaskCreated(
                aggregate_id=task.id,
                occurred_at=at,
                title=title,
                status=task.status,
                by=by,
                order_id=order_id,
                parent_id=task.parent_id,
            )
        )
        return task

    @property
    def category(self) -> StatusCategory:
        """Open, done or cancelled."""
        return self.workflow.status(self.status).category

    @property
    def is_closed(self) -> bool:
        """Done or cancelled."""
        return self.category.is_closed

    def move(
        self, to: str, *, by: str, at: datetime, blockers: Mapping[str, Task] | None = None
    ) -> FulfilOrder | None:
        """Move to status *to*; an order's task that is done returns `FulfilOrder`.

        Starting (leaving the first status for another open one) and being done
        need every task in `blocked_by` closed: pass them in *blockers*.
        Cancelling never waits for blockers.
        """
        require_aware("at", at)
        target = self.workflow.status(to)
        if to not in self.workflow.allowed(self.status):
            raise InvalidTransitionError(
                "task", self.status, to, self.workflow.allowed(self.status)
            )
        starting = self.status == self.workflow.initial.name and not target.is_closed
        if (starting or target.category is StatusCategory.DONE) and self.blocked_by:
            given = blockers or {}
            missing = sorted(self.blocked_by - set(given))
            if missing:
                raise ValidationError("blockers", missing, "pass the blocking tasks to check them")
            still_open = sorted(b for b in self.blocked_by if not given[b].is_closed)
            if still_open:
                raise BlockedError(self.status, to, still_open)
        before = self.status
        self.status = to
        self.closed_at = at if target.is_closed else None
        self._record(
            TaskStatusChanged(
                aggregate_id=self.id,
                occurred_at=at,
                from_status=before,
                to_status=to,
                closed=target.is_closed,
                by=by,
            )
        )
        if target.category is StatusCategory.DONE and self.order_id is not None:
            self._record(
                OrderFulfilmentRequested(
                    aggregate_id=self.id, occurred_at=at, order_id=self.order_id, by=by
                )
            )
            return FulfilOrder(order_id=self.order_id, task_id=self.id, by=by, at=at)
        return None

    def assign(self, assignee: Assignee | None, *, by: str, at: datetime) -> None:
        """Give the task to a person or a team (``None`` to unassign)."""
        require_aware("at", at)
        if assignee is not None and not isinstance(assignee, Assignee):
            raise ValidationError(
                "assignee", assignee, "expected Assignee.person(id) or Assignee.team(id)"
            )
        self.assignee = assignee
        self._record(
            TaskAssigned(
                aggregate_id=self.id,
                occurred_at=at,
                assignee=None if assignee is None else assignee.id,
                assignee_kind=None if assignee is None else assignee.kind.value,
                by=by,
            )
        )

    def add_checklist(
        self, name: str, items: Iterable[str] = (), *, id: str | None = None
    ) -> Checklist:
        """Add a checklist with *items*."""
        checklist = Checklist(name=name) if id is None else Checklist(name=name, id=id)
        if any(c.id == checklist.id for c in self.checklists):
            raise ValidationError("checklist.id", checklist.id, "a checklist with this id exists")
        for text in items:
            checklist.add(text)
        self.checklists.append(checklist)
        return checklist

    def checklist(self, checklist_id: str) -> Checklist:
        """The checklist *checklist_id*."""
        for checklist in self.checklists:
            if checklist.id == checklist_id:
                return checklist
        known = ", ".join(c.id for c in self.checklists) or "none"
        raise ValidationError("checklist_id", checklist_id, f"no such checklist; known: {known}")

    def tick(
        self, checklist_id: str, item_id: str, *, by: str, at: datetime, done: bool = True
    ) -> bool:
        """Tick (``done=False``: untick) an item; ``False`` when it already was so."""
        changed = self.checklist(checklist_id).item(item_id).set_done(done, by, at)
        if changed:
            self._record(
                ChecklistItemToggled(
                    aggregate_id=self.id,
                    occurred_at=at,
                    checklist_id=checklist_id,
                    item_id=item_id,
                    done=done,
                    by=by,
                )
            )
        return changed

    def share(self, shared: bool = True) -> None:
        """Show the task (and its progress) to its party, or hide it again (``False``)."""
        if not isinstance(shared, bool):
            raise ValidationError("shared", shared, "give True (the party sees it) or False")
        if shared and self.party_id is None:
            raise ValidationError("party_id", None, "a task shared with nobody: give it a party")
        self.shared = shared

    def set_fields(self, values: Mapping[str, object], schema: CustomFieldSchema) -> None:
        """Set custom field values; the whole result is checked against *schema*."""
        merged = {**self.custom_fields, **values}
        self.custom_fields = dict(schema.validate(merged))

    def block_on(self, blocker_id: str, graph: Mapping[str, Iterable[str]]) -> None:
        """Make *blocker_id* block this task; *graph* gives other tasks' ``blocked_by``.

        A dependency that would close a cycle (this task already, directly or
        not, blocks *blocker_id*) is refused, naming the cycle.
        """
        if not isinstance(blocker_id, str) or not blocker_id:
            raise ValidationError("blocked_by", blocker_id, "give a task id")
        if blocker_id == self.id:
            raise ValidationError("blocked_by", blocker_id, "a task cannot block itself")
        path = _path(graph, blocker_id, self.id)
        if path is not None:
            chain = " -> ".join([self.id, *path])
            raise ValidationError("blocked_by", blocker_id, f"would make a cycle: {chain}")
        self.blocked_by = self.blocked_by | {blocker_id}

    def unblock(self, blocker_id: str) -> None:
        """Remove the dependency on *blocker_id* (nothing when absent)."""
        self.blocked_by = self.blocked_by - {blocker_id}

    def progress(self, subtasks: Iterable[Task] = ()) -> Progress:
        """Items ticked and subtasks closed, out of all; *subtasks* must be this task's."""
        done = total = 0
        for checklist in self.checklists:
            done += checklist.done_count
            total += len(checklist.items)
        for sub in subtasks:
            if sub.parent_id != self.id:
                raise ValidationError("subtasks", sub.id, f"not a subtask of {self.id}")
            done += sub.is_closed
            total += 1
        return Progress(done, total)


def _path(graph: Mapping[str, Iterable[str]], start: str, goal: str) -> list[str] | None:
    """The chain of blocked-by edges from *start* to *goal*, or ``None``."""
    parents: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier:
        node = frontier.pop()
        if node == goal:
            chain = [node]
            while (prev := parents[chain[-1]]) is not None:
                chain.append(prev)
            return list(reversed(chain))
        for nxt in graph.get(node, ()):
            if nxt not in parents:
                parents[nxt] = node
                frontier.append(nxt)
    return None
