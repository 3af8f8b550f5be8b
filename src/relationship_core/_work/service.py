"""The work service: tasks, checklists, requirement documents and comments kept in a store.

Every call is one unit of work, by the given `Actor` (the actor's id is the
``by`` of what it records): the change, its events and the handlers'
reactions (a done order task fulfils the order) commit together. A unit of
work that loses a race (``ConflictError``) is run again on fresh reads, a
bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from relationship_core._app.repository import require_store
from relationship_core._app.schedules import begin
from relationship_core._billing.orders import Order
from relationship_core._domain.actor import Actor
from relationship_core._domain.business import DEFAULT_BUSINESS, Business
from relationship_core._domain.custom_fields import CustomFieldSchema
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.parties import Party
from relationship_core._domain.validators import check_text, to_enum
from relationship_core._work.comments import AuthorKind, Comment, SubjectKind, Visibility
from relationship_core._work.recurrence import RecurrenceSeries
from relationship_core._work.requirements import DiscoveryNote, RequirementDocument
from relationship_core._work.series_jobs import series_schedule, template_of
from relationship_core._work.tasks import Assignee, Priority, Progress, Task
from relationship_core._work.units import actor_name, attempt, subject_party
from relationship_core._work.workflow import DEFAULT_WORKFLOW, Workflow
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import Repository, UnitOfWork

__all__ = ["WorkService", "actor_name", "attempt", "subject_party"]  # the helpers: _work/units.py

T = TypeVar("T")


class WorkService:
    """Tasks, checklists, requirement documents and comments on a store.

    Args:
        crm: The open store (with the work feature, as ``relationship_core.open`` gives).
        workflow: The business's workflow new tasks follow.
        schema: The business's custom fields of tasks.
    """

    def __init__(
        self,
        crm: CRM,
        *,
        workflow: Workflow = DEFAULT_WORKFLOW,
        schema: CustomFieldSchema | None = None,
    ) -> None:
        require_store("crm", crm)
        for kind in ("task", "requirement", "comment", "recurrence_series"):
            if kind not in crm.registry:
                raise ValidationError(
                    "crm.registry",
                    kind,
                    "this store lacks the work feature; open it with "
                    "the default plugins (relationship_core.work)",
                )
        self.crm = crm
        if not isinstance(workflow, Workflow):
            raise ValidationError("workflow", workflow, "give a Workflow (Workflow.from_mapping)")
        if schema is not None and not isinstance(schema, CustomFieldSchema):
            raise ValidationError("schema", schema, "give a CustomFieldSchema or None")
        self.workflow = workflow
        self.schema = schema or CustomFieldSchema()

    # -- tasks ------------------------------------------------------------------
    def create_task(
        self,
        title: str,
        *,
        actor: Actor,
        order_id: str | None = None,
        party_id: str | None = None,
        engagement_id: str | None = None,
        parent_id: str | None = None,
        shared: bool = False,
        assignee: Assignee | None = None,
        priority: Priority | str = Priority.NORMAL,
        due_on: date | None = None,
        estimate: timedelta | None = None,
        fields: Mapping[str, object] | None = None,
        checklists: Mapping[str, Iterable[str]] | None = None,
        task_id: str | None = None,
        tags: Iterable[str] = (),
        starts_on: date | None = None,
    ) -> Task:
        """A new task; for an order, its party is the order's (another party is refused)."""
        by = actor_name(actor)

        def work(uow: UnitOfWork) -> Task:
            party = party_id
            if order_id is not None:
                order = uow.repository(Order).get(order_id)
                if party is not None and party != order.party_id:
                    raise ValidationError(
                        "party_id", party, f"order {order_id!r} is another party's"
                    )
                party = order.party_id
            parent = None if parent_id is None else uow.repository(Task).get(parent_id)
            task = Task.create(
                title,
                by=by,
                at=self.crm.clock.now(),
                id=task_id,
                workflow=self.workflow,
                schema=self.schema,
                fields=fields,
                order_id=order_id,
                party_id=party,
                shared=shared,
                engagement_id=engagement_id,
                parent=parent,
                assignee=assignee,
                priority=priority,
                due_on=due_on,
                estimate=estimate,
                tags=tags,
                starts_on=starts_on,
            )
            for name, items in (checklists or {}).items():
                task.add_checklist(name, items)
            uow.add(task)
            return task

        return attempt(self.crm, actor, work)

    @property
    def tasks(self) -> Repository[Task]:
        """The task repository (indexed by party, order, assignee, status, due, priority)."""
        return self.crm.repository(Task)

    def _change(self, task_id: str, actor: Actor, change: Callable[[Task, str], T]) -> T:
        by = actor_name(actor)
        return attempt(self.crm, actor, lambda uow: change(uow.repository(Task).get(task_id), by))

    def tick(
        self, task_id: str, checklist_id: str, item_id: str, *, actor: Actor, done: bool = True
    ) -> bool:
        """Tick (``done=False``: untick) a checklist item; ``False`` when it already was so."""
        now = self.crm.clock.now()
        return self._change(
            task_id, actor, lambda t, by: t.tick(checklist_id, item_id, by=by, at=now, done=done)
        )

    def move(self, task_id: str, to: str, *, actor: Actor) -> Task:
        """Move a task; an order's task moved to done fulfils the order in the same commit."""
        by = actor_name(actor)
        now = self.crm.clock.now()

        def work(uow: UnitOfWork) -> Task:
            repo = uow.repository(Task)
            task = repo.get(task_id)
            blockers = repo.get_many(sorted(task.blocked_by))
            task.move(to, by=by, at=now, blockers=blockers)
            return task

        return attempt(self.crm, actor, work)

    def block(self, task_id: str, blocker_id: str, *, actor: Actor) -> Task:
        """Make *blocker_id* block *task_id* ("blocked by"); a cycle is refused, naming it."""

        def work(uow: UnitOfWork) -> Task:
            repo = uow.repository(Task)
            task = repo.get(task_id)
            graph: dict[str, frozenset[str]] = {}
            frontier = [repo.get(blocker_id).id]
            while frontier:  # every task the blocker waits on, directly or not
                current = frontier.pop()
                if current not in graph:
                    graph[current] = repo.get(current).blocked_by
                    frontier.extend(graph[current])
            task.block_on(blocker_id, graph)
            return task

        return attempt(self.crm, actor, work)

    def unblock(self, task_id: str, blocker_id: str, *, actor: Actor) -> Task:
        """Remove the dependency of *task_id* on *blocker_id* (nothing when absent)."""

        def change(task: Task, _: str) -> Task:
            task.unblock(blocker_id)
            return task

        return self._change(task_id, actor, change)

    def progress(self, task_id: str) -> Progress:
        """The task's checklist items ticked and subtasks closed, from the store."""
        return self.tasks.get(task_id).progress(self.tasks.iterate(parent_id=task_id))

    def share(self, task_id: str, *, actor: Actor, shared: bool = True) -> Task:
        """Show a task and its progress to its party (``shared=False``: hide it)."""

        def change(task: Task, _: str) -> Task:
            task.share(shared)
            return task

        return self._change(task_id, actor, change)

    def assign(self, task_id: str, assignee: Assignee | None, *, actor: Actor) -> Task:
        """Give a task to a person or a team (``None``: unassign)."""
        now = self.crm.clock.now()

        def change(task: Task, by: str) -> Task:
            task.assign(assignee, by=by, at=now)
            return task

        return self._change(task_id, actor, change)

    # -- requirements, comments, series -----------------------------------------------
    def write_requirements(
        self,
        engagement_id: str,
        sections: Mapping[str, str],
        *,
        actor: Actor,
        note: str = "",
        document_id: str | None = None,
    ) -> RequirementDocument:
        """Write an engagement's requirement document: the first call starts it, later ones revise it.

        One document per engagement by default (id ``"<engagement>:requirements"``),
        so two writers starting it at once conflict instead of making two.
        """
        by = actor_name(actor)
        now = self.crm.clock.now()
        doc_id = f"{engagement_id}:requirements" if document_id is None else document_id

        def work(uow: UnitOfWork) -> RequirementDocument:
            repo = uow.repository(RequirementDocument)
            existing = repo.find(doc_id)
            if existing is None:
                doc = RequirementDocument.create(
                    engagement_id, sections, by=by, at=now, id=doc_id, note=note
                )
                repo.add(doc)
                return doc
            if existing.engagement_id != engagement_id:
                raise ValidationError("document_id", doc_id, "belongs to another engagement")
            existing.revise(sections, by=by, at=now, note=note)
            return existing

        return attempt(self.crm, actor, work)

    def note_discovery(
        self,
        engagement_id: str,
        text: str,
        *,
        actor: Actor,
        interaction_ids: Iterable[str] = (),
    ) -> DiscoveryNote:
        """Store notes from a discovery meeting, linked to its logged interactions.

        Each interaction must exist and be one of the engagement's (or its party's).
        """
        by = actor_name(actor)
        now = self.crm.clock.now()

        def work(uow: UnitOfWork) -> DiscoveryNote:
            engagement = uow.repository(Engagement).get(engagement_id)
            note = DiscoveryNote(
                engagement_id=engagement_id,
                interaction_ids=tuple(interaction_ids),
                text=text,
                by=by,
                at=now,
            )
            for interaction_id in note.interaction_ids:
                met = uow.repository("interaction").get(interaction_id)
                if met.engagement_id != engagement_id and met.party_id != engagement.party_id:
                    raise ValidationError(
                        "interaction_ids", interaction_id, "an interaction of another party"
                    )
            return uow.add(note)

        return attempt(self.crm, actor, work)

    def comment(
        self,
        subject_kind: SubjectKind | str,
        subject_id: str,
        body: str,
        *,
        actor: Actor,
        visibility: Visibility | str,
        author_kind: AuthorKind | str = AuthorKind.STAFF,
        people: Mapping[str, str] | None = None,
    ) -> Comment:
        """Comment on a task, requirement document or ticket; it carries its subject's party."""
        by = actor_name(actor)
        now = self.crm.clock.now()
        kind = to_enum(SubjectKind, "subject_kind", subject_kind)

        def work(uow: UnitOfWork) -> Comment:
            party = subject_party(uow, kind, subject_id)
            comment = Comment.write(
                kind,
                subject_id,
                body,
                author=by,
                at=now,
                visibility=visibility,
                author_kind=author_kind,
                people=people,
                party_id=party,
            )
            uow.add(comment)
            uow.publish(comment.event(), kind="comment")
            if kind is SubjectKind.TICKET and comment.author_kind is AuthorKind.CONTACT:
                ticket = uow.repository("ticket").get(subject_id)  # the customer wrote again
                ticket.customer_wrote(at=max(now, ticket.last_change_at), by=by)
            return comment

        return attempt(self.crm, actor, work)

    def zone_of(self, party_id: str | None = None, *, business: str = DEFAULT_BUSINESS) -> ZoneInfo:
        """The zone a series for *party_id* runs in: the party's, else the stored business's."""
        if party_id is not None:
            zone: ZoneInfo = self.crm.repository(Party).get(party_id).time_zone
            return zone
        stored = (
            self.crm.repository(Business).find(business)
            if "business" in self.crm.registry
            else None
        )
        return (stored or Business.create(DEFAULT_BUSINESS)).time_zone

    def add_series(self, series: RecurrenceSeries, *, actor: Actor) -> RecurrenceSeries:
        """Store a recurrence series (`start_series` also has the runner create its tasks)."""
        return attempt(self.crm, actor, lambda uow: uow.add(series))

    def start_series(
        self,
        series: RecurrenceSeries,
        title: str,
        *,
        actor: Actor,
        party_id: str | None = None,
        checklists: Mapping[str, Iterable[str]] | None = None,
        workflow: Workflow | None = None,
    ) -> RecurrenceSeries:
        """Store *series* and the durable schedule that has the runner create each task once.

        Each occurrence's task has the occurrence key as its id, *title*,
        *party_id*, *checklists* and *workflow* (default: this service's);
        a schedule series' next occurrence is enqueued as each one runs, a
        "when done" series' when the latest occurrence's task is closed.
        The schedule is ``crm.schedules.get(schedule_name(series.id))``.
        """
        if not isinstance(series, RecurrenceSeries):
            raise ValidationError("series", series, "give a RecurrenceSeries")
        flow = self.workflow if workflow is None else workflow
        if not isinstance(flow, Workflow):
            raise ValidationError("workflow", flow, "give a Workflow (Workflow.from_dict)")
        check_text("title", title)
        lists = {
            check_text("checklists", name): [check_text(name, item) for item in items]
            for name, items in (checklists or {}).items()
        }
        schedule = series_schedule(series, template_of(title, party_id, lists, flow))

        def work(uow: UnitOfWork) -> RecurrenceSeries:
            uow.add(series)
            begin(uow, schedule)
            return series

        return attempt(self.crm, actor, work)
