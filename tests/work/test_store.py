"""The work feature in a store: kinds round-trip, the done order task fulfils the order in one commit."""
# ruff: noqa: DTZ001 - recurrence series start at naive local wall times

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

import relationship_core as rc
from relationship_core import Actor, Engagement, Money, Party, Person
from relationship_core._app.billing import BillingService
from relationship_core._billing.lines import LineItem
from relationship_core._billing.orders import OrderStatus
from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.custom_fields import CustomFieldDefinition, CustomFieldSchema
from relationship_core._domain.events import UnknownEvent
from relationship_core._work import (
    Assignee,
    ChecklistItemToggled,
    Comment,
    RecurrenceSeries,
    RequirementDocument,
    Task,
    next_occurrence,
)
from relationship_core._work.service import WorkService
from relationship_core.exceptions import InvalidTransitionError, NotFoundError, ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANA = Actor.person("ana")
LINE = LineItem(description="Rye loaf", quantity=Decimal(12), unit_price=Money("4.50", "EUR"))
SCHEMA = CustomFieldSchema(
    [
        CustomFieldDefinition("product", "choice", choices=("sourdough", "rye")),
        CustomFieldDefinition("quantity", "number"),
    ]
)


def _order(crm: rc.CRM, *, start: bool = True) -> tuple[Party, BillingService]:
    ada = crm.parties.add(Person(name="Ada"))
    billing = BillingService(crm)
    billing.place_order(ada.id, [LINE], order_id="O-1")
    if start:
        billing.assign_order("O-1", "bakers")
        billing.start_order("O-1")
    return ada, billing


def test_an_order_task_round_trips_and_fulfils_its_order_in_the_same_commit(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada, billing = _order(crm)
        work = WorkService(crm, schema=SCHEMA)
        task = work.create_task(
            "Bake O-1",
            actor=ANA,
            order_id="O-1",
            fields={"product": "rye", "quantity": 12},
            assignee=Assignee.team("bakers"),
            due_on=date(2026, 3, 3),
            estimate=timedelta(hours=2),
            checklists={"ship": ["pack", "label"]},
            shared=True,
        )
        assert task.party_id == ada.id  # the order's party
        stored = work.tasks.get(task.id)
        assert stored == task
        assert [t.id for t in work.tasks.query(party_id=ada.id, assignee="team:bakers")] == [
            task.id
        ]
        assert [t.id for t in work.tasks.query(("due", "le", date(2026, 3, 3)))] == [task.id]
        checklist = stored.checklists[0]
        assert work.tick(task.id, checklist.id, checklist.items[0].id, actor=ANA)
        assert not work.tick(task.id, checklist.id, checklist.items[0].id, actor=ANA)
        work.move(task.id, "done", actor=ANA)
        # Fulfilled through billing, whose own handler then invoices it in the same commit.
        assert billing.orders.get("O-1").status is OrderStatus.INVOICED
        assert billing.orders.get("O-1").fulfilled_at is not None
        assert work.tasks.get(task.id).status == "done"
        logged = crm.events.read_logged(limit=100)
        names = [e.event.name for e in logged]
        assert "task.order_fulfilment_requested" in names
        assert "order.fulfilled" in names
        assert not any(isinstance(e.event, UnknownEvent) for e in logged)
        toggled = next(e for e in logged if e.event.name == "task.checklist_item_toggled")
        assert toggled.envelope.actor == ANA
        assert isinstance(toggled.event, ChecklistItemToggled)
        assert toggled.event.by == "ana"
        # Redoing the task after the order moved on changes nothing of the order's.
        work.move(task.id, "in progress", actor=ANA)
        work.move(task.id, "done", actor=ANA)
        assert billing.orders.get("O-1").status is OrderStatus.INVOICED


def test_an_order_billing_cannot_fulfil_fails_the_move_and_writes_nothing(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        _, billing = _order(crm, start=False)
        work = WorkService(crm)
        task = work.create_task("Bake O-1", actor=ANA, order_id="O-1")
        with pytest.raises(InvalidTransitionError, match="order cannot move from 'placed'"):
            work.move(task.id, "done", actor=ANA)
        assert work.tasks.get(task.id).status == "to do"
        assert billing.orders.get("O-1").status is OrderStatus.PLACED


def test_tasks_refuse_other_parties_orders_and_dangling_references(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        _order(crm)
        bob = crm.parties.add(Person(name="Bob"))
        work = WorkService(crm)
        with pytest.raises(ValidationError, match="another party's"):
            work.create_task("x", actor=ANA, order_id="O-1", party_id=bob.id)
        with pytest.raises(NotFoundError):
            work.create_task("x", actor=ANA, order_id="O-404")
        with pytest.raises(ValidationError, match=r"task\.party_id"):
            work.create_task("x", actor=ANA, party_id="nobody")
        with pytest.raises(ValidationError, match="shared with nobody"):
            work.share(work.create_task("x", actor=ANA).id, actor=ANA)
        assert len(work.tasks.query()) == 1


def test_series_documents_and_comments_round_trip(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        engagement = Engagement.start(
            ada, kind="customer", acquired_on=date(2026, 3, 2), at=T0, support_team="desk"
        )
        crm.engagements.add(engagement)
        work = WorkService(crm)
        calendar = WorkingCalendar("Europe/London", holidays=[date(2026, 4, 30)])
        books = RecurrenceSeries.on_schedule(
            "close-books",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            datetime(2026, 4, 1, 17),
            "Europe/London",
            roll="preceding",
            calendar=calendar,
        )
        plants = RecurrenceSeries.when_done(
            "plants",
            relativedelta(days=5, hours=1),
            datetime(2026, 3, 2, 9),
            "Europe/London",
            at_time=time(9),
        )
        for series in (books, plants):
            work.add_series(series, actor=ANA)
            stored = crm.repository(RecurrenceSeries).get(series.id)
            assert stored == series
            assert next_occurrence(stored, None) == next_occurrence(series, None)
        doc = work.write_requirements(engagement.id, {"scope": "A shop"}, actor=ANA)
        doc = work.write_requirements(
            engagement.id,
            {"scope": "A shop\nA blog"},
            actor=Actor.person("ben"),
        )
        assert doc.id == f"{engagement.id}:requirements"  # one per engagement
        stored_doc = crm.repository(RequirementDocument).get(doc.id)
        assert [r.by for r in stored_doc.revisions] == ["ana", "ben"]
        assert stored_doc.diff(1, 2) == doc.diff(1, 2)
        comment = work.comment(
            "requirement",
            doc.id,
            "@ben please price the blog",
            actor=ANA,
            visibility="internal",
            people={"ben": "P-ben"},
        )
        assert comment.party_id == ada.id
        assert crm.repository(Comment).get(comment.id) == comment
        [found] = crm.repository(Comment).query(subject_id=doc.id, visibility="internal")
        assert found.mentions == ("P-ben",)
        assert crm.events.read_logged(limit=100)[-1].event.name == "comment.added"
        with pytest.raises(ValidationError, match="subject_kind"):
            work.comment("invoice", "I-1", "hi", actor=ANA, visibility="shared")
        with pytest.raises(ValidationError, match="engagement_id"):
            work.write_requirements("E-404", {"scope": "x"}, actor=ANA)


def test_a_system_actor_and_bad_actors() -> None:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm:
        work = WorkService(crm)
        assert work.create_task("x", actor=Actor.system()).id
        with pytest.raises(ValidationError, match="actor"):
            work.create_task("x", actor="ana")  # type: ignore[arg-type]
        task = Task.create("y", by="ana", at=T0)
        with pytest.raises(ValidationError, match="shared"):
            task.share("yes")  # type: ignore[arg-type]


def test_a_store_without_the_feature_says_which_plugin_it_lacks() -> None:
    from relationship_core._support.service import SupportService
    from relationship_core.plugins import PluginManager

    plugins = PluginManager(
        entry_points=False, blocked=("relationship_core.work", "relationship_core.support")
    ).load()
    with rc.open("memory://", plugins=plugins) as crm:
        assert "task" not in crm.registry
        with pytest.raises(ValidationError, match=r"relationship_core\.work"):
            WorkService(crm)
        with pytest.raises(ValidationError, match=r"relationship_core\.support"):
            SupportService(crm)


def test_dependencies_tags_and_progress_through_the_service() -> None:
    from relationship_core._work.tasks import BlockedError

    ana = Actor.person("ana")
    with rc.open("memory://", clock=rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) as crm:
        work = WorkService(crm)
        design = work.create_task("Design", actor=ana, tags=["Web"], starts_on=date(2026, 3, 2))
        build = work.create_task("Build", actor=ana, checklists={"Do": ["code", "test"]})
        ship = work.create_task("Ship", actor=ana)
        work.block(build.id, design.id, actor=ana)
        work.block(ship.id, build.id, actor=ana)
        with pytest.raises(ValidationError) as cycle:
            work.block(design.id, ship.id, actor=ana)  # ship waits on build, build on design
        assert cycle.value.field == "blocked_by"
        with pytest.raises(BlockedError):
            work.move(build.id, "done", actor=ana)
        work.unblock(build.id, design.id, actor=ana)
        sub = work.create_task("Sub", actor=ana, parent_id=build.id)
        work.move(sub.id, "done", actor=ana)
        assert work.progress(build.id).percent == 33  # the subtask closed, no item ticked: 1 of 3
        stored = work.tasks.get(design.id)
        assert (stored.tags, stored.starts_on) == (frozenset({"web"}), date(2026, 3, 2))


def test_discovery_notes_link_the_engagements_interactions(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada, bob = crm.parties.add(Person(name="Ada")), crm.parties.add(Person(name="Bob"))
        ours, theirs = (
            Engagement.start(
                p, kind="customer", acquired_on=date(2026, 3, 2), at=T0, support_team="desk"
            )
            for p in (ada, bob)
        )
        crm.engagements.add(ours)
        crm.engagements.add(theirs)
        met = ours.log_interaction("meeting", at=T0, summary="Discovery")
        other = theirs.log_interaction("call", at=T0)
        crm.interactions.add(met)
        crm.interactions.add(other)
        work = WorkService(crm)
        note = work.note_discovery(
            ours.id, "Wants a shop", actor=Actor.person("ana"), interaction_ids=[met.id]
        )
        stored = crm.repository("discovery_note").get(note.id)
        assert (stored.interaction_ids, stored.by) == ((met.id,), "ana")
        with pytest.raises(ValidationError) as foreign:
            work.note_discovery(ours.id, "x", actor=ANA, interaction_ids=[other.id])
        assert (foreign.value.field, foreign.value.value) == ("interaction_ids", other.id)
        with pytest.raises(NotFoundError):
            work.note_discovery(ours.id, "x", actor=ANA, interaction_ids=["nope"])
