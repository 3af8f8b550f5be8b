"""client_view: a party sees its own records and nothing of another party's, nor anything internal.

Odoo's portal leaked (odoo/odoo#61702) by checking ownership once and then
following references. Here stores are filled with tangled data written
straight through units of work (a task of one party on another's order, a
shared comment on an internal task, a credit note against another party's
invoice, ...), and every path out of every party's view is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Engagement, Money, Person
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.lines import LineItem
from relationship_core._billing.orders import Order
from relationship_core._support import FormSubmission, Ticket
from relationship_core._support.portal import client_view
from relationship_core._work import Comment, RequirementDocument, Task
from relationship_core.exceptions import NotFoundError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PREFIX = {"task": "T", "requirement": "R", "ticket": "K"}
LINE = LineItem(description="Bread", quantity=Decimal(1), unit_price=Money("5.00", "EUR"))


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """A tangle of records over a few parties: owners and links drawn independently."""
    n = draw(st.integers(2, 4))
    party = st.integers(0, n - 1)
    engagements = draw(st.lists(party, max_size=5))
    orders = draw(st.lists(party, max_size=4))
    maybe_eng = st.none() | st.integers(0, len(engagements) - 1) if engagements else st.none()
    maybe_order = st.none() | st.integers(0, len(orders) - 1) if orders else st.none()
    tasks: list[dict[str, Any]] = [
        {
            "party": draw(st.none() | party),
            "shared": draw(st.booleans()),
            "order": draw(maybe_order),
            "engagement": draw(maybe_eng),
            "parent": draw(st.none() | st.integers(0, index - 1)) if index else None,
            "done": draw(st.booleans()),
        }
        for index in range(draw(st.integers(0, 7)))
    ]
    requirements = (
        draw(st.lists(st.integers(0, len(engagements) - 1), max_size=3)) if engagements else []
    )
    tickets = draw(st.lists(st.tuples(party, st.booleans()), max_size=4))
    invoices = draw(st.lists(party, max_size=3))
    maybe_invoice = st.none() | st.integers(0, len(invoices) - 1) if invoices else st.none()
    credit_notes = draw(st.lists(st.tuples(party, maybe_invoice), max_size=3))
    subjects: list[tuple[str, int]] = (
        [("task", i) for i in range(len(tasks))]
        + [("requirement", i) for i in range(len(requirements))]
        + [("ticket", i) for i in range(len(tickets))]
    )
    comments = (
        draw(
            st.lists(
                st.tuples(st.sampled_from(subjects), st.none() | party, st.booleans()), max_size=8
            )
        )
        if subjects
        else []
    )
    return {
        "n": n,
        "engagements": engagements,
        "orders": orders,
        "tasks": tasks,
        "requirements": requirements,
        "tickets": tickets,
        "invoices": invoices,
        "credit_notes": credit_notes,
        "comments": comments,
    }


def _store(crm: rc.CRM, plan: dict[str, Any]) -> dict[str, Any]:
    """Write *plan*; return ``{kind: {id: owner index or None}}`` and what is internal."""
    owner: dict[str, dict[str, int | None]] = {}
    ids: dict[str, list[str]] = {}
    internal: set[str] = set()

    def note(kind: str, id: str, who: int | None) -> str:
        owner.setdefault(kind, {})[id] = who
        ids.setdefault(kind, []).append(id)
        return id

    with crm.unit_of_work() as uow:
        people = [Person(name=f"P{i}") for i in range(plan["n"])]
        for i, person in enumerate(people):
            uow.add(person)
            note("party", person.id, i)
        pid = [p.id for p in people]
        for i, who in enumerate(plan["engagements"]):
            eng = Engagement.start(
                pid[who],
                kind="customer",
                acquired_on=date(2026, 3, 2),
                at=T0,
                id=f"E{i}",
                support_team="desk",
            )
            uow.add(eng)
            note("engagement", eng.id, who)
        for i, who in enumerate(plan["orders"]):
            uow.add(Order.place(f"O{i}", pid[who], [LINE], T0))
            note("order", f"O{i}", who)
        tasks: list[Task] = []
        for i, spec in enumerate(plan["tasks"]):
            parent = None if spec["parent"] is None else tasks[spec["parent"]]
            task = Task.create(
                f"task {i}",
                by="ana",
                at=T0,
                id=f"T{i}",
                order_id=None if spec["order"] is None else f"O{spec['order']}",
                engagement_id=None if spec["engagement"] is None else f"E{spec['engagement']}",
                party_id=None if spec["party"] is None else pid[spec["party"]],
                shared=spec["shared"],
            )
            task.parent_id = None if parent is None else parent.id  # tangled on purpose
            if spec["done"]:
                task.move("cancelled", by="ana", at=T0)
            tasks.append(task)
            uow.add(task)
            note("task", task.id, spec["party"])
            if not spec["shared"]:
                internal.add(task.id)
        _store_links(uow, plan, pid, note, internal)
    return {"owner": owner, "pid": pid, "internal": internal}


def _store_links(
    uow: rc.UnitOfWork,
    plan: dict[str, Any],
    pid: list[str],
    note: Callable[[str, str, int | None], str],
    internal: set[str],
) -> None:
    """Requirement documents, tickets, billing documents and comments of *plan*."""
    for i, e in enumerate(plan["requirements"]):
        uow.add(RequirementDocument.create(f"E{e}", {"scope": "x"}, by="ana", at=T0, id=f"R{i}"))
        note("requirement", f"R{i}", plan["engagements"][e])
    for i, (who, closed) in enumerate(plan["tickets"]):
        form = FormSubmission(name="X", email=f"x{i}@example.com", problem="?")
        ticket = Ticket.open(form, at=T0, id=f"K{i}", party_id=pid[who])
        if closed:
            ticket.move("rejected", by="sam", at=T0)
        uow.add(ticket)
        note("ticket", ticket.id, who)
    for i, who in enumerate(plan["invoices"]):
        uow.add(Invoice(id=f"I{i}", party_id=pid[who], currency="EUR"))
        note("invoice", f"I{i}", who)
    for i, (who, inv) in enumerate(plan["credit_notes"]):
        invoice_id = None if inv is None else f"I{inv}"
        uow.add(CreditNote(id=f"C{i}", party_id=pid[who], currency="EUR", invoice_id=invoice_id))
        note("credit_note", f"C{i}", who)
    for i, ((kind, index), who, shared) in enumerate(plan["comments"]):
        comment = Comment.write(
            kind,
            f"{PREFIX[kind]}{index}",
            f"comment {i}",
            author="ana",
            at=T0,
            visibility="shared" if shared else "internal",
            id=f"M{i}",
            party_id=None if who is None else pid[who],
        )
        uow.add(comment)
        note("comment", comment.id, who)
        if not shared:
            internal.add(comment.id)


def _check(crm: rc.CRM, plan: dict[str, Any], world: dict[str, Any]) -> None:
    for me in range(len(world["pid"])):
        _check_party(crm, plan, world, me)


def _check_party(crm: rc.CRM, plan: dict[str, Any], world: dict[str, Any], me: int) -> None:
    owner, internal = world["owner"], world["internal"]
    party_id = world["pid"][me]
    view = client_view(crm, party_id)

    def mine(kind: str, id: str | None) -> bool:
        return id is None or owner[kind].get(id) == me

    # No path out of the view reaches another party's record or an internal one.
    assert view.party.id == party_id
    assert all(mine("engagement", e.id) for e in view.engagements)
    for shared in view.tasks:
        t = shared.task
        assert mine("task", t.id)
        assert t.id not in internal
        assert mine("order", t.order_id)
        assert mine("engagement", t.engagement_id)
        assert mine("task", t.parent_id)
    for doc in view.requirements:
        assert mine("requirement", doc.id)
        assert mine("engagement", doc.engagement_id)
    assert all(mine("invoice", i.id) for i in view.invoices)
    for note in view.credit_notes:
        assert mine("credit_note", note.id)
        assert mine("invoice", note.invoice_id)
    assert all(mine("ticket", t.id) for t in view.tickets)
    shown = {
        "task": {t.task.id for t in view.tasks},
        "requirement": {d.id for d in view.requirements},
        "ticket": {t.id for t in view.tickets},
    }
    for c in view.comments:
        assert mine("comment", c.id)
        assert c.id not in internal
        assert c.subject_id in shown[c.subject_kind.value]

    # And everything the party may see is there.
    def expected_task(i: int) -> bool:
        spec = plan["tasks"][i]
        return (
            spec["party"] == me
            and spec["shared"]
            and (spec["order"] is None or plan["orders"][spec["order"]] == me)
            and (spec["engagement"] is None or plan["engagements"][spec["engagement"]] == me)
            and (spec["parent"] is None or plan["tasks"][spec["parent"]]["party"] == me)
        )

    assert {t.task.id for t in view.tasks} == {
        f"T{i}" for i in range(len(plan["tasks"])) if expected_task(i)
    }
    assert {n.id for n in view.credit_notes} == {
        f"C{i}"
        for i, (who, inv) in enumerate(plan["credit_notes"])
        if who == me and (inv is None or plan["invoices"][inv] == me)
    }
    assert len(view.tickets) == sum(1 for who, _ in plan["tickets"] if who == me)
    assert {c.id for c in view.comments} == {
        f"M{i}"
        for i, ((kind, index), who, shared) in enumerate(plan["comments"])
        if who == me and shared and f"{PREFIX[kind]}{index}" in shown[kind]
    }


def _property(make: Callable[[], str]) -> Callable[[dict[str, Any]], None]:
    def run(plan: dict[str, Any]) -> None:
        with rc.open(make(), clock=rc.ManualClock(T0)) as crm:
            world = _store(crm, plan)
            _check(crm, plan, world)

    return run


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=plans())
def test_no_path_leaves_the_party(
    backend: str, plan: dict[str, Any], make_url: Callable[[str], str]
) -> None:
    _property(lambda: make_url(backend))(plan)


@pytest.mark.postgres
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=plans())
def test_no_path_leaves_the_party_on_postgresql(
    plan: dict[str, Any], make_url: Callable[[str], str]
) -> None:
    _property(lambda: make_url("postgresql"))(plan)


def test_a_view_of_a_party_that_is_not_there_is_refused() -> None:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm, pytest.raises(NotFoundError):
        client_view(crm, "nobody")


def test_sharing_and_unsharing_a_task_shows_and_hides_it_and_its_progress(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        work = rc.WorkService(crm)
        sam = rc.Actor.person("sam")
        task = work.create_task("Design", actor=sam, party_id=ada.id, checklists={"c": ["a", "b"]})
        work.create_task("Sketch", actor=sam, parent_id=task.id)  # inherits Ada
        assert client_view(crm, ada.id).tasks == ()
        work.share(task.id, actor=sam)
        [shown] = client_view(crm, ada.id).tasks
        assert (shown.progress.done, shown.progress.total) == (0, 3)
        work.share(task.id, actor=sam, shared=False)
        assert client_view(crm, ada.id).tasks == ()


def test_portal_scopes_own_records_or_the_organisations_for_its_contacts(url: str) -> None:
    from relationship_core import Organisation, portal_view
    from relationship_core.exceptions import ValidationError

    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada, bob = crm.parties.add(Person(name="Ada")), crm.parties.add(Person(name="Bob"))
        acme = Organisation(name="Acme")
        acme.add_contact(ada.id, title="Buyer", valid_from=date(2026, 1, 1))
        acme.add_contact(
            bob.id, title="Intern", valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31)
        )
        crm.parties.add(acme)
        form = FormSubmission(name="Ada", email="ada@example.com", problem="?")
        with crm.unit_of_work() as uow:
            uow.add(Ticket.open(form, at=T0, id="T-ada", party_id=ada.id))
            uow.add(Ticket.open(form, at=T0, id="T-acme", party_id=acme.id))
        own = portal_view(crm, ada.id)
        assert [t.id for t in own.tickets] == ["T-ada"]
        whole = portal_view(crm, ada.id, organisation_id=acme.id, scope="organisation")
        assert (whole.party.id, [t.id for t in whole.tickets]) == (acme.id, ["T-acme"])
        for outsider in (bob.id, "nobody"):  # a role that ended, and no role at all
            with pytest.raises(ValidationError) as refused:
                portal_view(crm, outsider, organisation_id=acme.id, scope="organisation")
            assert (refused.value.field, refused.value.value) == ("contact_id", outsider)
        with pytest.raises(ValidationError):
            portal_view(crm, ada.id, organisation_id=ada.id, scope="organisation")
