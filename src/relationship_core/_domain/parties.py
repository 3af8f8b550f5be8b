"""Parties: the people and organisations a business deals with, and their contacts."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from relationship_core._domain.custom_fields import (
    CustomFieldSchema,
    CustomValue,
    check_custom_fields,
)
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.locale import check_locale
from relationship_core._domain.timeutil import require_date, to_zone
from relationship_core._domain.validators import (
    a_bool,
    a_date,
    check_text,
    identifier,
    items,
    non_empty_text,
    optional_text,
    tuple_of,
)
from relationship_core.exceptions import NotFoundError, ValidationError

__all__ = [
    "ContactRole",
    "EmailAddress",
    "Organisation",
    "Party",
    "PartyKind",
    "Person",
]

# Deliberately practical rather than RFC 5322-complete: one @, a dot-separated
# domain with a TLD, no spaces or control characters, and the RFC length caps.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _validate_email(text: str) -> str:
    stripped = check_text("email", text).strip()
    local, at, domain = stripped.rpartition("@")
    problem = None
    if not at or not local or not domain:
        problem = "expected the form name@example.com"
    elif len(stripped) > 254 or len(local) > 64:
        problem = "too long (at most 254 characters, 64 before the @)"
    elif not _LOCAL.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        problem = "the part before the @ has characters an address cannot hold"
    else:
        labels = domain.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            problem = "the domain must look like example.com"
        elif labels[-1].isdigit():
            problem = "the domain must end in a name, not a number"
    if problem:
        raise ValidationError("email", text, problem)
    return f"{local}@{domain.lower()}"


@attrs.frozen(order=True)
class EmailAddress:
    """A validated e-mail address; the domain is lower-cased, the local part kept as given.

    Examples:
        >>> EmailAddress("Ada@Example.COM")
        EmailAddress('Ada@example.com')
    """

    value: str = attrs.field(converter=_validate_email)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"EmailAddress({self.value!r})"


def _emails(values: Iterable[EmailAddress | str]) -> tuple[EmailAddress, ...]:
    given = [values] if isinstance(values, str | EmailAddress) else items("emails", values)
    result: list[EmailAddress] = []
    for index, item in enumerate(given):
        try:
            email = item if isinstance(item, EmailAddress) else EmailAddress(item)  # type: ignore[arg-type]  # validated
        except ValidationError as exc:
            raise ValidationError(f"emails[{index}]", exc.value, exc.reason) from None
        if email not in result:
            result.append(email)
    return tuple(result)


def _tags(values: Iterable[str]) -> frozenset[str]:
    given = [values] if isinstance(values, str) else items("tags", values)
    result = set()
    for tag in given:
        clean = " ".join(check_text("tags", tag).split()).lower()
        if len(clean) > 64:
            raise ValidationError("tags", tag, "a tag is at most 64 characters")
        result.add(clean)
    return frozenset(result)


def _zone(value: object) -> ZoneInfo:
    return to_zone("time_zone", value)


def _locale(value: object) -> str | None:
    return None if value is None else check_locale("locale", value)


def _custom(values: Mapping[str, CustomValue]) -> dict[str, CustomValue]:
    return check_custom_fields(values)


class PartyKind(enum.Enum):
    """Whether a party is a person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


@attrs.define(kw_only=True)
class Party(EventRecorder):
    """What people and organisations share. Use `Person` or `Organisation`.

    Attributes:
        id: Stable id; sorts by creation time.
        name: Display name.
        emails: Validated addresses, the first is the primary one.
        time_zone: The IANA zone the party lives in; it decides local dates.
        tags: Lower-cased labels such as ``"vip"``.
        locale: The language (BCP 47 tag, ``"de-CH"``) messages to the party use;
            ``None`` when unknown (templates then fall back to the business's).
        custom_fields: Values of the business's declared custom fields.
    """

    kind: PartyKind = attrs.field(init=False, default=PartyKind.PERSON)
    id: str = attrs.field(factory=new_id, validator=identifier)
    name: str = attrs.field(validator=non_empty_text)
    emails: tuple[EmailAddress, ...] = attrs.field(factory=tuple, converter=_emails)
    time_zone: ZoneInfo = attrs.field(default=ZoneInfo("UTC"), converter=_zone)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_tags)
    custom_fields: dict[str, CustomValue] = attrs.field(factory=dict, converter=_custom)
    locale: str | None = attrs.field(default=None, converter=_locale)
    _events: list[DomainEvent] = events_field()

    @property
    def email(self) -> EmailAddress | None:
        """The primary e-mail address, if any."""
        return self.emails[0] if self.emails else None

    def set_custom_fields(self, schema: CustomFieldSchema, **values: object) -> None:
        """Validate *values* against *schema* and merge them into `custom_fields`."""
        merged: dict[str, object] = {**self.custom_fields, **values}
        self.custom_fields = schema.validate(merged)

    def tag(self, *tags: str) -> None:
        """Add tags."""
        self.tags = self.tags | _tags(tags)

    def untag(self, *tags: str) -> None:
        """Remove tags (absent ones are ignored)."""
        self.tags = self.tags - _tags(tags)


@attrs.define(kw_only=True)
class Person(Party):
    """A natural person: a customer in their own right, or a contact of an organisation.

    Attributes:
        phone: A phone number as given (free text; formats vary too much to police).
    """

    kind: PartyKind = attrs.field(init=False, default=PartyKind.PERSON)
    phone: str | None = attrs.field(default=None, validator=optional_text)


@attrs.frozen(kw_only=True)
class ContactRole:
    """A person's role at an organisation, for a span of days.

    Attributes:
        person_id: The person holding the role.
        title: Job title, e.g. ``"Head of Finance"``.
        decision_maker: Whether they can sign off purchases.
        valid_from: First day the role holds.
        valid_to: Last day the role holds (inclusive); ``None`` while current.
    """

    person_id: str = attrs.field(validator=identifier)
    title: str = attrs.field(validator=non_empty_text)
    decision_maker: bool = attrs.field(default=False, validator=a_bool)
    valid_from: date = attrs.field(validator=a_date)
    valid_to: date | None = attrs.field(default=None)

    @valid_to.validator
    def _check_to(self, attribute: attrs.Attribute[date | None], value: date | None) -> None:
        if value is None:
            return
        require_date("valid_to", value)
        if value < self.valid_from:
            raise ValidationError(
                "valid_to", value, f"ends before it starts ({self.valid_from.isoformat()})"
            )

    def active_on(self, day: date) -> bool:
        """Whether the role holds on *day*."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _contacts(value: object) -> tuple[ContactRole, ...]:
    return tuple_of("contacts", ContactRole, value)


@attrs.define(kw_only=True)
class Organisation(Party):
    """A company or other body; people act for it through `ContactRole` s.

    Attributes:
        contacts: Roles people hold or held here, oldest first.
    """

    kind: PartyKind = attrs.field(init=False, default=PartyKind.ORGANISATION)
    contacts: tuple[ContactRole, ...] = attrs.field(factory=tuple, converter=_contacts)

    def add_contact(
        self,
        person: Person | str,
        *,
        title: str,
        valid_from: date,
        decision_maker: bool = False,
        valid_to: date | None = None,
    ) -> ContactRole:
        """Record that *person* acts for this organisation from *valid_from*."""
        person_id = person.id if isinstance(person, Person) else person
        role = ContactRole(
            person_id=person_id,
            title=title,
            decision_maker=decision_maker,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        for existing in self.contacts:
            overlaps = existing.person_id == person_id and (
                (existing.valid_to is None or role.valid_from <= existing.valid_to)
                and (role.valid_to is None or existing.valid_from <= role.valid_to)
            )
            if overlaps and existing.title == title:
                raise ValidationError(
                    "contacts", person_id, f"already holds {title!r} over those days; end it first"
                )
        self.contacts = (*self.contacts, role)
        return role

    def end_contact(self, person_id: str, *, title: str, last_day: date) -> ContactRole:
        """Close the open role *title* of *person_id* on *last_day* (inclusive)."""
        for index, role in enumerate(self.contacts):
            if role.person_id == person_id and role.title == title and role.valid_to is None:
                ended = attrs.evolve(role, valid_to=last_day)
                self.contacts = (*self.contacts[:index], ended, *self.contacts[index + 1 :])
                return ended
        raise NotFoundError("contact role", f"{person_id}/{title}")

    def contacts_on(self, day: date) -> tuple[ContactRole, ...]:
        """The roles that hold on *day*."""
        return tuple(role for role in self.contacts if role.active_on(day))

    def decision_makers_on(self, day: date) -> tuple[ContactRole, ...]:
        """The decision makers on *day*."""
        return tuple(role for role in self.contacts_on(day) if role.decision_maker)


PARTY_TYPES: dict[PartyKind, type[Party]] = {
    PartyKind.PERSON: Person,
    PartyKind.ORGANISATION: Organisation,
}


def party_type(kind: Any) -> type[Party]:
    """The class for a stored party kind."""
    return PARTY_TYPES[PartyKind(kind)]
