# mypy: disable-error-code="arg-type, list-item, assignment"
"""Bad input of the wrong type or with unstorable characters is a ValidationError, never a builtin error.

One validator idiom (`check_text`, `items` in ``_domain/validators.py``) does
this for every field; these cases are the ones that used to escape raw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from relationship_core import (
    ContactRole,
    Currency,
    CustomFieldDefinition,
    Engagement,
    Interaction,
    Money,
    Organisation,
    Person,
)
from relationship_core.exceptions import ValidationError

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)

CASES: dict[str, tuple[Callable[[], object], str]] = {
    "currency list": (lambda: Currency.of(["USD"]), "currency"),
    "currency dict": (lambda: Currency.of({}), "currency"),
    "currency built directly": (lambda: Currency("ZZZ", 2), "currency"),
    "money in a list currency": (lambda: Money("1", ["USD"]), "currency"),
    "emails None": (lambda: Person(name="x", emails=None), "emails"),
    "emails int": (lambda: Person(name="x", emails=5), "emails"),
    "tags None": (lambda: Person(name="x", tags=None), "tags"),
    "contacts int": (lambda: Organisation(name="x", contacts=5), "contacts"),
    "contacts of str": (lambda: Organisation(name="x", contacts=["a"]), "contacts[0]"),
    "surrogate in name": (lambda: Person(name="Ada\ud800"), "name"),
    "NUL in name": (lambda: Person(name="Ada\x00"), "name"),
    "newline in name": (lambda: Person(name="Ada\nLovelace"), "name"),
    "surrogate in tag": (lambda: Person(name="x", tags=["vip\udfff"]), "tags"),
    "control in tag": (lambda: Person(name="x", tags=["v\x07ip"]), "tags"),
    "surrogate in email": (lambda: Person(name="x", emails=["a\ud800@x.org"]), "emails[0]"),
    "surrogate in phone": (lambda: Person(name="x", phone="+1\ud800"), "phone"),
    "int id": (lambda: Person(id=5, name="x"), "id"),
    "huge id": (lambda: Person(id="x" * 300, name="x"), "id"),
    "surrogate in summary": (
        lambda: Interaction(
            engagement_id="e", party_id="p", channel="email", occurred_at=AT, summary="\ud800"
        ),
        "summary",
    ),
    "engagement id list": (
        lambda: Engagement(
            party_id=["p"], kind="customer", acquired_on=date(2026, 1, 5), support_team="d"
        ),
        "party_id",
    ),
    "history int": (
        lambda: Engagement(
            party_id="p", kind="customer", acquired_on=date(2026, 1, 5), support_team="d", history=3
        ),
        "history",
    ),
    "contact flag": (
        lambda: ContactRole(
            person_id="p", title="t", decision_maker="yes", valid_from=date(2026, 1, 1)
        ),
        "decision_maker",
    ),
    "choices int": (lambda: CustomFieldDefinition("tier", "choice", choices=5), "choices"),
    "max_length text": (lambda: CustomFieldDefinition("n", "text", max_length="x"), "max_length"),
    "kind list": (
        lambda: Engagement(party_id="p", kind=["customer"], acquired_on=date(2026, 1, 5)),
        "kind",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_a_validation_error_naming_the_field(case: str) -> None:
    build, field = CASES[case]
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field


def test_assignment_runs_the_same_validators() -> None:
    ada = Person(name="Ada")
    with pytest.raises(ValidationError):
        ada.name = "A\ud800"
    with pytest.raises(ValidationError):
        ada.emails = None
    with pytest.raises(ValidationError):
        ada.tag("x\x00")
    assert (ada.name, ada.emails, ada.tags) == ("Ada", (), frozenset())


def test_free_text_keeps_line_breaks_and_paired_characters() -> None:
    summary = "Called.\n\tAgreed: next week 🎉"
    interaction = Interaction(
        engagement_id="e", party_id="p", channel="email", occurred_at=AT, summary=summary
    )
    assert interaction.summary == summary
    assert Person(name="Zoë 🎉").name == "Zoë 🎉"


def test_huge_values_still_make_a_readable_message() -> None:
    huge: Any = 10**10000
    with pytest.raises(ValidationError) as info:
        Person(name=huge)
    assert info.value.value is huge
    assert len(str(info.value)) < 400
