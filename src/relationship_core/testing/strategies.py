"""Hypothesis strategies for every domain type, for users and plugin authors."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from relationship_core._billing.biller import bill_retainer
from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._billing.hours import HoursPolicy
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.orders import Order, OrderStatus, Refund
from relationship_core._billing.proration import ACTUAL_DAYS, THIRTY_360, Proration
from relationship_core._billing.retainer import BillingTiming, Retainer, RetainerTerms
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
    "billing_cycles",
    "contact_roles",
    "currencies",
    "custom_field_schemas",
    "dates",
    "email_addresses",
    "engagements",
    "ids",
    "interactions",
    "line_items",
    "orders",
    "proration_policies",
    "retainer_terms",
    "retainers",
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
    """Record ids (26-character Crockford base-32, like `relationship_core.new_id`)."""
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


# -- billing -------------------------------------------------------------------------


def billing_cycles() -> st.SearchStrategy[BillingCycle]:
    """Weekly (every 1-4 weeks), monthly, quarterly, yearly and every-N-months cycles."""
    return st.one_of(
        st.integers(min_value=1, max_value=4).map(BillingCycle.weekly),
        st.sampled_from([BillingCycle.monthly(), BillingCycle.quarterly(), BillingCycle.yearly()]),
        st.integers(min_value=1, max_value=18).map(BillingCycle.every_months),
    )


def proration_policies() -> st.SearchStrategy[Proration]:
    """Actual days, 30/360, and fixed days per month (28-31)."""
    return st.one_of(
        st.sampled_from([ACTUAL_DAYS, THIRTY_360]),
        st.integers(min_value=28, max_value=31).map(Proration.fixed_days_per_month),
    )


def _rates() -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=Decimal("0.3"), places=3)


def _currency(currency: str | Currency | None) -> st.SearchStrategy[Currency]:
    return st.just(Currency.of(currency)) if currency is not None else currencies()


def retainer_terms(currency: str | Currency | None = None) -> st.SearchStrategy[RetainerTerms]:
    """Valid retainer terms: a positive fee in whole minor units and every option drawn.

    Args:
        currency: The fee's currency (any when ``None``).
    """

    def build(cur: Currency) -> st.SearchStrategy[RetainerTerms]:
        hours = st.none() | st.builds(
            HoursPolicy,
            st.integers(min_value=0, max_value=200).map(Decimal),
            money(cur, min_value=0, max_value=10**4),
            rollover_cap=st.integers(min_value=0, max_value=100).map(Decimal),
            expire_after=st.integers(min_value=0, max_value=6),
        )
        return st.builds(
            RetainerTerms,
            money(cur, min_value=1, max_value=10**6),
            billing_cycles(),
            time_zones(),
            anchor=st.none() | dates(date(2000, 1, 1), date(2090, 12, 31)),
            timing=st.sampled_from(BillingTiming),
            proration=proration_policies(),
            tax_rate=_rates(),
            payment_terms_days=st.integers(min_value=0, max_value=90),
            minimum_periods=st.integers(min_value=0, max_value=24),
            hours=hours,
        ).flatmap(_with_bill_cycle_day)

    return _currency(currency).flatmap(build)


def _with_bill_cycle_day(terms: RetainerTerms) -> st.SearchStrategy[RetainerTerms]:
    # Monthly cycles may count by a bill-cycle day instead of the anchor date.
    if terms.cycle.unit is not CycleUnit.MONTH:
        return st.just(terms)
    day = st.none() | st.integers(min_value=1, max_value=31)
    return day.map(lambda d: attrs.evolve(terms, bill_cycle_day=d))


@st.composite
def _retainer(draw: st.DrawFn, terms: st.SearchStrategy[RetainerTerms]) -> Retainer:
    chosen = draw(terms)
    anchor = chosen.anchor or date(2026, 1, 1)
    starts_on = anchor + timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    retainer = Retainer.start(
        draw(ids()),
        draw(ids()),
        chosen,
        at,
        starts_on=starts_on,
        engagement_id=draw(st.none() | ids()),
    )
    # Some history: billing, then perhaps a fee change, a pause (and resume), a cancellation.
    day = starts_on
    for action in draw(st.lists(st.sampled_from(["bill", "fee", "pause", "cancel"]), max_size=4)):
        day += timedelta(days=draw(st.integers(min_value=1, max_value=120)))
        if action == "bill":
            bill_retainer(retainer, day, at)
        elif action == "fee":
            fee = draw(money(chosen.fee.currency, min_value=1, max_value=10**6))
            retainer.change_fee(fee, at, effective_on=day)
        elif action == "pause":
            retainer.pause(at, on=day)
            day += timedelta(days=draw(st.integers(min_value=1, max_value=60)))
            retainer.resume(at, on=day)
        else:
            retainer.cancel(at, on=day, immediately=draw(st.booleans()))
            break
    return retainer


def retainers(terms: st.SearchStrategy[RetainerTerms] | None = None) -> st.SearchStrategy[Retainer]:
    """Retainers started on or after their anchor, with some history.

    Each is billed, has its fee changed, is paused and resumed, or is
    cancelled, in a random order on increasing dates, so pending adjustment
    lines, an advanced ``next_period`` and an hours bank all occur.

    Args:
        terms: Strategy for the terms (default: `retainer_terms`).
    """
    return _retainer(terms if terms is not None else retainer_terms())


_descriptions = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("C", "Zs")), min_size=1, max_size=24
)


@st.composite
def _line_item(draw: st.DrawFn, cur: Currency, kinds: tuple[LineKind, ...]) -> LineItem:
    quantity = draw(st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3))
    unit_price = draw(money(cur, min_value=0, max_value=10**5))
    discount = None
    if draw(st.booleans()):
        share = draw(st.decimals(min_value=0, max_value=1, places=2))
        quantum = Decimal(1).scaleb(-cur.minor_units)
        amount = (quantity * unit_price.amount * share).quantize(quantum, rounding=ROUND_DOWN)
        discount = Money(amount, cur)
    return LineItem(
        draw(_descriptions),
        quantity,
        unit_price,
        draw(st.sampled_from(kinds)),
        discount=discount,
        tax_rate=draw(_rates()),
        reference=draw(st.none() | st.from_regex(r"\A[A-Z]{2,4}-[0-9]{1,5}\Z")),
    )


def line_items(
    currency: str | Currency | None = None,
    kinds: tuple[LineKind, ...] = (LineKind.PRODUCT, LineKind.SERVICE),
) -> st.SearchStrategy[LineItem]:
    """Order lines: fractional quantities, discounts up to the gross, tax rates up to 30%.

    Args:
        currency: The price's currency (any when ``None``).
        kinds: Line kinds to draw from (non-credit kinds; prices are non-negative).
    """
    return _currency(currency).flatmap(lambda cur: _line_item(cur, kinds))


_ORDER_PATH = (
    OrderStatus.ASSIGNED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.FULFILLED,
    OrderStatus.INVOICED,
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_REFUNDED,
)


@st.composite
def _order(draw: st.DrawFn, currency: str | Currency | None) -> Order:
    cur = draw(_currency(currency))
    lines = draw(st.lists(line_items(cur), min_size=1, max_size=5))
    at = draw(aware_datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)))  # noqa: DTZ001
    order = Order.place(draw(ids()), draw(ids()), lines, at)
    steps = draw(st.integers(min_value=0, max_value=len(_ORDER_PATH)))
    if steps == 0 and draw(st.booleans()):
        order.cancel("changed their mind", at)
        return order
    for status in _ORDER_PATH[:steps]:
        at += timedelta(hours=draw(st.integers(min_value=0, max_value=200)))
        if status is OrderStatus.ASSIGNED:
            order.assign(draw(st.sampled_from(["kitchen", "deliveries", "workshop"])), at)
        elif status is OrderStatus.IN_PROGRESS:
            order.start_work(at)
        elif status is OrderStatus.FULFILLED:
            order.fulfil(at)
        elif status is OrderStatus.INVOICED:
            order.mark_invoiced(f"order:{order.id}", at)
        elif status is OrderStatus.PAID:
            order.mark_paid(at)
        elif order.total.amount > 0:
            share = draw(st.decimals(min_value=Decimal("0.01"), max_value=1, places=2))
            amount = order.total.amount * share
            quantum = Decimal(1).scaleb(-cur.minor_units)
            refund = Money(max(amount.quantize(quantum, rounding=ROUND_DOWN), quantum), cur)
            order.refund(Refund(draw(ids()), min(refund, order.total), at, "refund"))
    return order


def orders(currency: str | Currency | None = None) -> st.SearchStrategy[Order]:
    """Orders of 1-5 lines, moved along their path (or cancelled), perhaps refunded.

    Args:
        currency: The order's currency (any when ``None``).
    """
    return _order(currency)
