"""Parties: people, organisations, contacts, e-mails, tags and custom fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given

from relationship_core import (
    CustomFieldDefinition,
    CustomFieldSchema,
    EmailAddress,
    FieldType,
    Money,
    Organisation,
    Person,
)
from relationship_core.exceptions import NotFoundError, ValidationError
from relationship_core.testing import strategies as rcst


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a b@example.com",
        "a@example..com",
        ".a@example.com",
        "a..b@example.com",
        "a@-x.com",
        "a@example.123",
        "x" * 65 + "@example.com",
    ],
)
def test_bad_emails_are_refused_naming_the_value(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        EmailAddress(text)
    assert info.value.field == "email"
    assert info.value.value == text


def test_emails_normalise_domain_and_deduplicate() -> None:
    person = Person(name="Ada", emails=["Ada@Example.COM", "Ada@example.com", "b@x.org"])
    assert [str(e) for e in person.emails] == ["Ada@example.com", "b@x.org"]
    assert person.email == EmailAddress("Ada@example.com")


def test_email_error_in_list_names_the_index() -> None:
    with pytest.raises(ValidationError) as info:
        Person(name="Ada", emails=["ok@example.com", "broken"])
    assert info.value.field == "emails[1]"
    assert info.value.value == "broken"


@given(rcst.email_addresses())
def test_generated_emails_are_valid_and_stable(email: EmailAddress) -> None:
    assert EmailAddress(str(email)) == email


def test_names_time_zones_and_tags_are_validated() -> None:
    with pytest.raises(ValidationError) as info:
        Person(name="  ")
    assert info.value.field == "name"
    with pytest.raises(ValidationError) as info:
        Person(name="Ada", time_zone="Mars/Olympus")
    assert (info.value.field, info.value.value) == ("time_zone", "Mars/Olympus")
    person = Person(name="Ada", tags=["VIP", " Key  Account "])
    assert person.tags == {"vip", "key account"}
    person.tag("New")
    person.untag("vip", "absent")
    assert person.tags == {"key account", "new"}
    with pytest.raises(ValidationError):
        person.name = ""  # validators run on assignment too


def test_organisation_contacts_over_time() -> None:
    ada = Person(name="Ada")
    bob = Person(name="Bob")
    acme = Organisation(name="Acme Ltd", time_zone="Europe/London")
    acme.add_contact(ada, title="CFO", decision_maker=True, valid_from=date(2024, 1, 1))
    acme.add_contact(bob, title="Buyer", valid_from=date(2024, 6, 1), valid_to=date(2024, 12, 31))
    assert [r.person_id for r in acme.contacts_on(date(2024, 3, 1))] == [ada.id]
    assert {r.person_id for r in acme.contacts_on(date(2024, 12, 31))} == {ada.id, bob.id}
    assert [r.person_id for r in acme.contacts_on(date(2025, 1, 1))] == [ada.id]
    acme.end_contact(ada.id, title="CFO", last_day=date(2025, 6, 30))
    assert acme.decision_makers_on(date(2025, 6, 30))[0].person_id == ada.id
    assert acme.decision_makers_on(date(2025, 7, 1)) == ()
    with pytest.raises(NotFoundError):
        acme.end_contact(ada.id, title="CFO", last_day=date(2025, 7, 1))


def test_contact_role_span_and_overlap_are_checked() -> None:
    acme = Organisation(name="Acme")
    with pytest.raises(ValidationError) as info:
        acme.add_contact("p1", title="CFO", valid_from=date(2024, 2, 1), valid_to=date(2024, 1, 1))
    assert info.value.field == "valid_to"
    acme.add_contact("p1", title="CFO", valid_from=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="already holds"):
        acme.add_contact("p1", title="CFO", valid_from=date(2025, 1, 1))


SCHEMA = CustomFieldSchema(
    [
        CustomFieldDefinition(
            "industry", FieldType.CHOICE, choices=("retail", "legal"), required=True
        ),
        CustomFieldDefinition("seats", "number"),
        CustomFieldDefinition("discount", "decimal"),
        CustomFieldDefinition("budget", "money", currency="EUR"),
        CustomFieldDefinition("renewal", "date"),
        CustomFieldDefinition("vat", "boolean"),
        CustomFieldDefinition("notes", "text", max_length=10),
    ]
)


def test_custom_fields_validate_against_declared_definitions() -> None:
    acme = Organisation(name="Acme")
    acme.set_custom_fields(
        SCHEMA,
        industry="legal",
        seats=12,
        discount="0.15",
        budget=Money("1000", "EUR"),
        renewal=date(2027, 1, 1),
        vat=True,
    )
    assert acme.custom_fields["discount"] == Decimal("0.15")
    assert acme.custom_fields["seats"] == 12


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("industry", "farming"),
        ("seats", 1.5),
        ("seats", True),
        ("discount", 0.15),
        ("budget", Money("1", "USD")),
        ("budget", "1000"),
        ("renewal", "2027-01-01"),
        ("vat", "yes"),
        ("notes", "far too long for ten"),
        ("unknown", 1),
    ],
)
def test_custom_field_errors_name_field_and_value(key: str, value: object) -> None:
    acme = Organisation(name="Acme", custom_fields={"industry": "retail"})
    with pytest.raises(ValidationError) as info:
        acme.set_custom_fields(SCHEMA, **{key: value})
    assert info.value.field == f"custom_fields[{key!r}]"
    assert info.value.value == value
    assert acme.custom_fields == {"industry": "retail"}  # nothing half-written


def test_required_custom_field_and_bad_definitions() -> None:
    with pytest.raises(ValidationError) as info:
        SCHEMA.validate({"seats": 1})
    assert info.value.field == "custom_fields['industry']"
    with pytest.raises(ValidationError):
        CustomFieldDefinition("Bad Key", "text")
    with pytest.raises(ValidationError) as info:
        CustomFieldDefinition("tier", "colour")
    assert info.value.field == "type"
    with pytest.raises(ValidationError):
        CustomFieldDefinition("tier", "choice")
    with pytest.raises(ValidationError):
        CustomFieldSchema([CustomFieldDefinition("a", "text"), CustomFieldDefinition("a", "text")])
