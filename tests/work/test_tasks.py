"""Tasks: workflow as data, checklists with history, dependencies, progress, order fulfilment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from relationship_core._domain.custom_fields import CustomFieldDefinition, CustomFieldSchema
from relationship_core._work import (
    Assignee,
    BlockedError,
    FulfilOrder,
    OrderFulfilmentRequested,
    Task,
    Workflow,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SCHEMA = CustomFieldSchema(
    [
        CustomFieldDefinition("product", "choice", choices=("sourdough", "rye")),
        CustomFieldDefinition("quantity", "number", required=True),
    ]
)


def test_workflow_refuses_duplicates_unknown_and_unreachable() -> None:
    with pytest.raises(ValidationError) as dup:
        Workflow(["to do", "To Do", "done"], {})
    assert dup.value.value == "To Do"
    with pytest.raises(ValidationError) as unknown:
        Workflow.from_dict(
            {"statuses": ["a", {"name": "b", "category": "done"}], "transitions": {"a": ["c"]}}
        )
    assert (unknown.value.field, unknown.value.value) == ("transitions.a", "c")
    with pytest.raises(ValidationError) as unreachable:
        Workflow.from_dict(
            {"statuses": ["a", "b", {"name": "c", "category": "done"}], "transitions": {"a": ["c"]}}
        )
    assert unreachable.value.value == "b"
    with pytest.raises(ValidationError):
        Workflow.from_dict({"statuses": ["a", "b"], "transitions": {"a": ["b"]}})  # nothing closes


def test_order_task_done_yields_fulfil_command() -> None:
    task = Task.create(
        "Bake the order",
        by="ana",
        at=T0,
        order_id="O-1",
        schema=SCHEMA,
        fields={"product": "rye", "quantity": 12},
    )
    assert task.move("in progress", by="ana", at=T0) is None
    command = task.move("done", by="ana", at=T0 + timedelta(hours=1))
    assert command == FulfilOrder(
        order_id="O-1", task_id=task.id, by="ana", at=T0 + timedelta(hours=1)
    )
    assert command.key == "order:O-1:fulfil"
    assert any(isinstance(e, OrderFulfilmentRequested) for e in task.pull_events())
    with pytest.raises(InvalidTransitionError) as bad:
        task.move("to do", by="ana", at=T0)
    assert bad.value.allowed == ("in progress",)


def test_custom_fields_validated() -> None:
    with pytest.raises(ValidationError) as missing:
        Task.create("x", by="a", at=T0, schema=SCHEMA, fields={"product": "rye"})
    assert missing.value.field == "custom_fields['quantity']"
    task = Task.create("x", by="a", at=T0, schema=SCHEMA, fields={"quantity": 1})
    with pytest.raises(ValidationError) as bad:
        task.set_fields({"product": "baguette"}, SCHEMA)
    assert bad.value.value == "baguette"
    assert task.custom_fields == {"quantity": 1}


def test_checklist_history_and_derived_progress() -> None:
    task = Task.create("Ship", by="a", at=T0, due_on=date(2026, 3, 9), estimate=timedelta(hours=2))
    checklist = task.add_checklist("Before shipping", ["pack", "label"])
    pack = checklist.items[0].id
    assert task.tick(checklist.id, pack, by="ana", at=T0)
    assert not task.tick(checklist.id, pack, by="ana", at=T0)  # already ticked: nothing recorded
    assert task.tick(checklist.id, pack, by="ben", at=T0 + timedelta(minutes=5), done=False)
    assert task.tick(checklist.id, pack, by="ben", at=T0 + timedelta(minutes=6))
    assert [(t.done, t.by) for t in checklist.items[0].history] == [
        (True, "ana"),
        (False, "ben"),
        (True, "ben"),
    ]
    with pytest.raises(ValidationError):
        task.tick(checklist.id, pack, by="x", at=T0, done=False)  # before the last change
    sub = Task.create("Invoice", by="a", at=T0, parent=task)
    other = Task.create("Other", by="a", at=T0)
    assert task.progress([sub]).fraction == pytest.approx(1 / 3)
    sub.move("done", by="a", at=T0)
    assert task.progress([sub]).percent == 66
    with pytest.raises(ValidationError):
        task.progress([other])


def test_blockers_and_cycles() -> None:
    a = Task.create("a", by="x", at=T0, id="A")
    b = Task.create("b", by="x", at=T0, id="B")
    c = Task.create("c", by="x", at=T0, id="C")
    b.block_on("A", {})
    c.block_on("B", {"B": b.blocked_by})
    with pytest.raises(ValidationError) as cycle:
        a.block_on("C", {"B": b.blocked_by, "C": c.blocked_by})
    assert "A -> C -> B -> A" in cycle.value.reason
    with pytest.raises(ValidationError):
        b.block_on("B", {})
    with pytest.raises(BlockedError) as blocked:
        b.move("in progress", by="x", at=T0, blockers={"A": a})
    assert blocked.value.blockers == ("A",)
    with pytest.raises(ValidationError):
        b.move("done", by="x", at=T0)  # blockers not given
    b.move("cancelled", by="x", at=T0)  # cancelling never waits
    a.move("done", by="x", at=T0)
    c.unblock("B")
    c.move("in progress", by="x", at=T0)


def test_bad_input_names_field_and_value() -> None:
    with pytest.raises(ValidationError) as e:
        Task.create("x", by="a", at=T0, starts_on=date(2026, 3, 5), due_on=date(2026, 3, 4))
    assert e.value.field == "due_on"
    with pytest.raises(ValidationError) as e:
        Task.create("x", by="a", at=T0, estimate=timedelta(0))
    assert e.value.field == "estimate"
    with pytest.raises(ValidationError) as e:
        Task.create("x", by="a", at=T0, priority="asap")
    assert (e.value.field, e.value.value) == ("priority", "asap")
    with pytest.raises(ValidationError) as e:
        Task.create("x", by="a", at=datetime(2026, 3, 2))  # noqa: DTZ001 - refused on purpose
    assert e.value.field == "at"
    task = Task.create("x", by="a", at=T0)
    task.assign(Assignee.team("bakers"), by="a", at=T0)
    with pytest.raises(ValidationError):
        Assignee("robot", "r2")
