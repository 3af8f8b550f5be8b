"""Hypothesis strategies for every domain type, for users and plugin authors."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from relationship_core._domain.currency import MINOR_UNITS, Currency
from relationship_core._domain.custom_fields import (
    CustomFieldDefinition,
    CustomFieldSchema,
    FieldType,
)
from relationship_core._domain.engagements import (
    Channel,
    Direction,
    Engagement,
    EngagementKind,
    Interaction,
)
from relationship_core._domain.money import Money
from relationship_core._domain.parties import (
    ContactRole,
    EmailAddress,
    Organisation,
    Party,
    Person,
)

__all__ = [
    "aware_datetimes",
    "contact_roles",
    "currencies",
    "custom_field_schemas",
    "dates",
    "email_addresses",
    "engagements",
    "ids",
    "interactions",
    "money",
    "organisations",
    "parties",
    "persons",
    "time_zones",
]

_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
)


def currencies() -> st.SearchStrategy[Currency]:
    """Any ISO 4217 currency this library knows (JPY 0 to CLF 4 minor units)."""
    return st.sampled_from(sorted(MINOR_UNITS)).map(Currency.of)


def money(
    currency: str | Currency | None = None,
    *,
    min_value: Decimal | int = -(10**12),
    max_value: Decimal | int = 10**12,
    rounded: bool = True,
) -> st.SearchStrategy[Money]:
    """Money in *currency* (any when ``None``), rounded to minor units unless ``rounded=False``."""
    chosen = st.just(Currency.of(currency)) if currency is not None else currencies()

    def build(cur: Currency) -> st.SearchStrategy[Money]:
        places = cur.minor_units if rounded else cur.minor_units + 4
        amounts = st.decimals(
            min_value=Decimal(min_value),
            max_value=Decimal(max_value),
            places=places,
            allow_nan=False,
            allow_infinity=False,
        )
        return amounts.map(lambda a: Money(a, cur))

    return chosen.flatmap(build)


def time_zones() -> st.SearchStrategy[ZoneInfo]:
    """IANA zones including odd offsets (Chatham +12:45, Lord Howe's half-hour DST)."""
    return st.sampled_from(_ZONES).map(ZoneInfo)


def aware_datetimes(
    min_value: datetime = datetime(1970, 1, 1),  # noqa: DTZ001 - bounds for hypothesis are naive
    max_value: datetime = datetime(2100, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[datetime]:
    """Time zone-aware datetimes, normalised to UTC."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=time_zones()).map(
        lambda d: d.astimezone(UTC)
    )


def dates(
    min_value: date = date(1970, 1, 1), max_value: date = date(2100, 1, 1)
) -> st.SearchStrategy[date]:
    """Calendar dates."""
    return st.dates(min_value=min_value, max_value=max_value)


def ids() -> st.SearchStrategy[str]:
    """Record ids (26-character Crockford base-32, like :func:`relationship_core.new_id`)."""
    return st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=26, max_size=26)


_LOCAL_CHARS = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"


def email_addresses() -> st.SearchStrategy[EmailAddress]:
    """Valid e-mail addresses."""
    local = st.text(alphabet=_LOCAL_CHARS, min_size=1, max_size=20)
    label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z")
    tld = st.from_regex(r"\A[a-z]{2,6}\Z")
    return st.builds(
        lambda lo, labels, t: EmailAddress(f"{lo}@{'.'.join([*labels, t])}"),
        local,
        st.lists(label, min_size=1, max_size=3),
        tld,
    )


_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("C", "Zs")), min_size=1, max_size=30
)
_tags = st.frozensets(st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z"), max_size=4)


def custom_field_schemas() -> st.SearchStrategy[CustomFieldSchema]:
    """Schemas with one field of every type."""
    return st.just(
        CustomFieldSchema(
            [
                CustomFieldDefinition("notes", FieldType.TEXT),
                CustomFieldDefinition("seats", FieldType.NUMBER),
                CustomFieldDefinition("discount", FieldType.DECIMAL),
                CustomFieldDefinition("budget", FieldType.MONEY),
                CustomFieldDefinition("renewal", FieldType.DATE),
                CustomFieldDefinition("vat_registered", FieldType.BOOLEAN),
                CustomFieldDefinition("tier", FieldType.CHOICE, choices=("gold", "silver")),
            ]
        )
    )


_custom_values = st.fixed_dictionaries(
    {},
    optional={
        "notes": st.text(max_size=40),
        "seats": st.integers(min_value=-(10**9), max_value=10**9),
        "discount": st.decimals(allow_nan=False, allow_infinity=False, places=3),
        "budget": money(),
        "renewal": dates(),
        "vat_registered": st.booleans(),
        "tier": st.sampled_from(["gold", "silver"]),
    },
)


def persons() -> st.SearchStrategy[Person]:
    """People with e-mails, tags, custom fields and a time zone."""
    return st.builds(
        Person,
        id=ids(),
        name=_names,
        emails=st.lists(email_addresses(), max_size=3),
        time_zone=time_zones(),
        tags=_tags,
        custom_fields=_custom_values,
        phone=st.none() | st.from_regex(r"\A\+[0-9]{6,14}\Z"),
    )


def contact_roles() -> st.SearchStrategy[ContactRole]:
    """Roles with valid spans (``valid_to`` never before ``valid_from``)."""
    return st.builds(
        lambda pid, title, dm, start, length: ContactRole(
            person_id=pid,
            title=title,
            decision_maker=dm,
            valid_from=start,
            valid_to=None if length is None else start + timedelta(days=length),
        ),
        ids(),
        _names,
        st.booleans(),
        dates(max_value=date(2090, 1, 1)),
        st.none() | st.integers(min_value=0, max_value=3000),
    )


def organisations() -> st.SearchStrategy[Organisation]:
    """Organisations with contacts."""
    return st.builds(
        Organisation,
        id=ids(),
        name=_names,
        emails=st.lists(email_addresses(), max_size=2),
        time_zone=time_zones(),
        tags=_tags,
        custom_fields=_custom_values,
        contacts=st.lists(contact_roles(), max_size=3).map(tuple),
    )


def parties() -> st.SearchStrategy[Party]:
    """People or organisations."""
    return st.one_of(persons(), organisations())


def engagements(kind: EngagementKind | None = None) -> st.SearchStrategy[Engagement]:
    """Valid engagements of *kind* (either when ``None``), without history."""
    kinds = st.just(kind) if kind is not None else st.sampled_from(EngagementKind)
    people = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10)

    def build(k: EngagementKind) -> st.SearchStrategy[Engagement]:
        return st.builds(
            Engagement,
            id=ids(),
            party_id=ids(),
            kind=st.just(k),
            acquired_on=dates(),
            time_zone=time_zones(),
            sales_rep=st.none() | people,
            account_manager=people if k is EngagementKind.CLIENT else st.none(),
            support_team=people if k is EngagementKind.CUSTOMER else st.none() | people,
        )

    return kinds.flatmap(build)


def interactions() -> st.SearchStrategy[Interaction]:
    """Interactions on any channel."""
    return st.builds(
        Interaction,
        id=ids(),
        engagement_id=ids(),
        party_id=ids(),
        channel=st.sampled_from(Channel),
        occurred_at=aware_datetimes(),
        summary=st.text(max_size=60),
        direction=st.sampled_from(Direction),
        by=st.none() | st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8),
    )
