# mypy: disable-error-code="arg-type, dict-item, assignment"
"""Custom fields are checked when a party is built, and a record that cannot be loaded names itself.

Runs on the real memory and SQLite backends: a damaged document is written
straight through the backend, as a tampered or legacy store would hold it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import relationship_core as rc
from relationship_core import Person
from relationship_core._serialize import unstructure
from relationship_core._storage.contract import Write
from relationship_core.exceptions import CorruptRecordError, StorageError, ValidationError

BAD_VALUES: list[object] = [
    1.5,
    None,
    [1, 2],
    {"a": 1},
    datetime(2026, 1, 1, tzinfo=UTC),
    Decimal("NaN"),
    2**70,
    "bad\ud800",
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_custom_field_values_are_checked_at_construction(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        Person(name="x", custom_fields={"x": value})
    assert info.value.field == "custom_fields['x']"
    assert info.value.value is value


@pytest.mark.parametrize("value", BAD_VALUES[:3], ids=repr)
def test_custom_field_values_are_checked_on_assignment(value: object) -> None:
    person = Person(name="x", custom_fields={"x": 1})
    with pytest.raises(ValidationError) as info:
        person.custom_fields = {"x": value}
    assert info.value.field == "custom_fields['x']"
    assert person.custom_fields == {"x": 1}


def test_custom_field_keys_are_text() -> None:
    with pytest.raises(ValidationError):
        Person(name="x", custom_fields={1: "a"})
    with pytest.raises(ValidationError):
        Person(name="x", custom_fields="nope")


def test_good_custom_values_are_kept() -> None:
    values: dict[str, Any] = {
        "t": "text\nwith lines",
        "n": 12,
        "b": True,
        "d": Decimal("0.15"),
        "m": rc.Money("5", "EUR"),
        "day": date(2026, 1, 1),
    }
    assert Person(name="x", custom_fields=values).custom_fields == values


@pytest.fixture(params=["memory", "sqlite"])
def crm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[rc.CRM]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'crm.db'}"
    with rc.open(url) as store:
        yield store


def test_a_value_changed_in_place_is_refused_before_anything_is_written(crm: rc.CRM) -> None:
    ada = crm.parties.add(Person(name="Ada", custom_fields={"x": 1}))
    ada.custom_fields["x"] = 1.5  # past the validators: a dict changed in place
    with pytest.raises(ValidationError) as info:
        crm.parties.update(ada)
    assert info.value.field == "custom_fields['x']"
    assert crm.parties.get(ada.id).custom_fields == {"x": 1}


def _plant(crm: rc.CRM, party_id: str, **changes: Any) -> None:
    """Write a party document that today's domain refuses, straight through the backend."""
    data = {**unstructure(Person(id=party_id, name="ok")), **changes}
    indexed: dict[str, object] = {
        "party_kind": "person",
        "name": "ok",
        "email": None,
        "locale": None,
        "name_key": "ok",
        "emails": [],
        "tags": [],
        "phones": [],
    }
    with crm.backend.transaction() as tx:
        tx.put_many([Write("party", party_id, data, indexed, None, 1)])


def test_an_unloadable_record_names_its_kind_and_id(crm: rc.CRM) -> None:
    crm.parties.add(Person(id="good", name="Good"))
    _plant(crm, "bad-1", custom_fields={"x": 1.5})
    for read in (
        lambda: crm.parties.get("bad-1"),
        crm.parties.query,
        lambda: list(crm.parties.iterate()),
        lambda: crm.parties.get_many(["good", "bad-1"]),
    ):
        with pytest.raises(CorruptRecordError) as info:
            read()
        error = info.value
        assert (error.kind, error.record_id) == ("party", "bad-1")
        assert "custom_fields" in error.reason
        assert isinstance(error, StorageError)
        assert isinstance(error, ValueError)
    with pytest.raises(CorruptRecordError), crm.unit_of_work() as uow:
        uow.parties.get("bad-1")
    assert crm.parties.get("good").name == "Good"


def test_migrate_lists_every_unloadable_record(crm: rc.CRM) -> None:
    crm.parties.add(Person(id="good", name="Good"))
    _plant(crm, "bad-1", custom_fields={"x": 1.5})
    _plant(crm, "bad-2", name="")
    _plant(crm, "bad-3", time_zone="Mars/Olympus")
    summary = crm.migrate()
    for bad in ("bad-1", "bad-2", "bad-3"):
        assert f"party {bad!r}" in summary
    assert "3 stored record(s) cannot be loaded" in summary
    assert "good" not in summary
