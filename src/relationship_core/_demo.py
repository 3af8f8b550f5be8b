"""The story ``relationship-core demo`` tells: a year with a client and a customer, in a store.

Everything goes through the facade (`open_store`)
and the `BillingService`, with a
`ManualClock` walking through 2026 one day at a time;
a fulfilled order is invoiced at once (the billing feature's fulfilment
handler, in the same unit of work) and the biller runs every evening for the
retainer, as a scheduler would run it. At the end the
store is opened again and its records and events are counted, to show that
everything was persisted.
"""

from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import zip_longest

import attrs

from relationship_core._app.facade import CRM, open_store
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.invoices import Invoice, Payment
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.metrics import (
    annual_recurring_revenue,
    monthly_recurring_revenue,
    mrr_movements,
    purchase_revenue,
)
from relationship_core._billing.orders import Refund
from relationship_core._billing.retainer import Retainer, RetainerTerms
from relationship_core._demo_notify import demo_config, notifications
from relationship_core._demo_pipeline import lead_to_customer
from relationship_core._demo_reports import prepare_dashboard, reports_chapter
from relationship_core._demo_rules import rules_chapter
from relationship_core._demo_story import ZONE, Write, _heading, _m, _Story
from relationship_core._demo_support import support_chapter
from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import Channel, Engagement
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Organisation, Person
from relationship_core._storage.contract import StoredEvent
from relationship_core.exceptions import ValidationError

__all__ = ["DemoResult", "run_demo"]


@attrs.frozen
class DemoResult:
    """What the demo stored, read back from the store.

    Attributes:
        url: The store it ran on.
        invoice_numbers: Every invoice number issued, in order.
        records: Stored records per kind.
        events: Stored events per name.
    """

    url: str
    invoice_numbers: tuple[str, ...]
    records: dict[str, int]
    events: dict[str, int]


def _first_purchase(story: _Story) -> tuple[Organisation, Engagement]:
    write, clock = story.write, story.clock
    _heading(write, "1. A customer buys")
    ada = Person(
        id=story.new_id(),
        name="Ada Lovelace",
        emails=["ada@analytical.example"],
        time_zone=ZONE,
    )
    acme = Organisation(id=story.new_id(), name="Analytical Engines Ltd", time_zone=ZONE)
    acme.add_contact(
        ada, title="Head of Operations", decision_maker=True, valid_from=date(2026, 1, 5)
    )
    engagement = Engagement.start(
        acme,
        id=story.new_id(),
        kind="customer",
        acquired_on=date(2026, 1, 5),
        at=clock.now(),
        sales_rep="sam.sales",
        support_team="support-desk",
    )
    with story.crm.unit_of_work() as uow:
        uow.parties.add(ada)
        uow.parties.add(acme)
        uow.engagements.add(engagement)
    write(f"  {acme.name}, contact {ada.name} <{ada.email}>, {acme.contacts[0].title}")
    lines = [
        LineItem("Workshop kit", 2, Money("49.00", "GBP"), LineKind.PRODUCT, tax_rate="0.20"),
        LineItem("Field guide", 1, Money("12.50", "GBP"), LineKind.PRODUCT),
        LineItem(
            "Setup session",
            1,
            Money("120.00", "GBP"),
            LineKind.SERVICE,
            discount=Money("20.00", "GBP"),
            tax_rate="0.20",
        ),
    ]
    story.billing.place_order(acme.id, lines, order_id="O-1001")
    story.log(engagement.id, Channel.FORM, "web order O-1001", None)
    write(
        f"  {clock.now():%Y-%m-%d}  {Channel.FORM.value:<8} web order O-1001 (logged as an interaction)"
    )
    write(f"  {'line':<16}{'qty':>4}{'unit':>9}{'discount':>10}{'net':>9}{'tax':>8}{'total':>9}")
    for line in lines:
        discount = _m(line.discount) if line.discount else ""
        write(
            f"  {line.description:<16}{line.quantity:>4}{_m(line.unit_price):>9}{discount:>10}"
            f"{_m(line.net):>9}{_m(line.tax):>8}{_m(line.total):>9}"
        )
    moves = ["placed"]
    story.at(date(2026, 1, 6))
    story.billing.assign_order("O-1001", "workshop-team")
    moves.append("assigned (workshop-team)")
    story.at(date(2026, 1, 7))
    story.billing.start_order("O-1001")
    moves.append("in progress")
    story.at(date(2026, 1, 8))
    order, invoice = story.fulfil("O-1001", date(2026, 1, 8))  # invoiced in the same commit
    moves.append("fulfilled")
    moves.append(f"invoiced {invoice.number}")
    story.at(date(2026, 1, 12))
    story.billing.record_payment(
        invoice.id, Payment("pay-card-1", invoice.total, story.clock.now(), "card")
    )
    moves.append("paid")
    write(f"  Order O-1001, {_m(order.total)} GBP: {' -> '.join(moves[:3])}")
    write(f"    -> {' -> '.join(moves[3:])}")
    return acme, engagement


def _conversations(story: _Story, engagement: Engagement) -> None:
    _heading(story.write, "3. Conversations")
    for day, channel, summary in [
        (date(2026, 1, 12), Channel.EMAIL, "asked about tailored training"),
        (date(2026, 1, 13), Channel.CALL, "scoping call: monthly advisory"),
        (date(2026, 1, 14), Channel.MEETING, "proposal walkthrough at their office"),
    ]:
        story.at(day, 11)
        story.log(engagement.id, channel, summary, "sam.sales")
        story.write(f"  {day:%Y-%m-%d}  {channel.value:<8} {summary}")
    last = story.crm.interactions.last_contact(engagement.id)
    story.write(f"  Last contact (derived from stored interactions): {last:%Y-%m-%d %H:%M} UTC")


def _promotion(story: _Story, engagement: Engagement) -> Retainer:
    _heading(story.write, "4. Promoted to client: a monthly retainer starts")
    story.at(date(2026, 1, 15))
    terms = RetainerTerms(
        Money("1500.00", "GBP"),
        BillingCycle.monthly(),
        ZONE,
        anchor=date(2026, 1, 1),
        tax_rate="0.20",
        payment_terms_days=14,
        description="Advisory retainer",
    )
    promoted, retainer = story.billing.promote(
        engagement.id,
        terms,
        account_manager="amy.manager",
        reason="signed a monthly advisory retainer",
        retainer_id="R-ADVISORY",
    )
    change = promoted.history[-1]
    story.write(
        f"  On {change.on:%Y-%m-%d}: {change.from_kind.value} -> {change.to_kind.value}, "
        f"account manager {promoted.served_by}"
    )
    story.write(
        f"  Retainer {retainer.id}: {_m(terms.fee)} GBP a month + 20% VAT, in advance on the 1st;"
    )
    story.write(f"  it starts on {retainer.starts_on:%Y-%m-%d}, mid-month, so January is prorated")
    return retainer


def _year(story: _Story, client: Organisation, engagement: Engagement, retainer: Retainer) -> str:
    write = story.write
    school = Organisation(id=story.new_id(), name="Somerville Academy", time_zone=ZONE)
    with story.crm.unit_of_work() as uow:
        uow.parties.add(school)
        uow.engagements.add(
            Engagement.start(
                school,
                id=story.new_id(),
                kind="customer",
                acquired_on=date(2026, 1, 20),
                at=story.clock.now(),
                support_team="support-desk",
            )
        )
    _heading(
        write, "5. A year of billing (orders invoiced when fulfilled, the biller every evening)"
    )
    write(f"  Client: {client.name} (retainer)  Customer: {school.name} (per purchase)")
    day = date(2026, 1, 15)
    while day <= date(2026, 12, 31):
        story.at(day)
        story.payments_due(day)
        if day == date(2026, 6, 10):
            story.billing.change_fee(
                retainer.id, Money("1800.00", "GBP"), effective_on=date(2026, 6, 15)
            )
        if day == date(2026, 12, 2):
            refund = Refund("rf-damaged-kit", Money("49.00", "GBP"), story.clock.now(), "damaged")
            note = story.billing.refund_order("O-2011", refund)
        if day == date(2026, 12, 10):
            story.billing.lapse(engagement.id, reason="budget frozen for 2027")
        if day.day == 20:
            kits = 10 + day.month
            story.order(
                school.id,
                f"O-{2000 + day.month}",
                [
                    LineItem("Workshop kit", kits, Money("49.00", "GBP"), LineKind.PRODUCT),
                    LineItem("Delivery", 1, Money("15.00", "GBP"), LineKind.SERVICE),
                ],
                "deliveries",
            )
        if day.day == 21:
            story.billing.start_order(f"O-{2000 + day.month}")
        if day.day == 22:
            story.fulfil(f"O-{2000 + day.month}", day)
        story.nightly_run(day)
        day += timedelta(days=1)
    rerun = story.billing.run(date(2026, 12, 31))
    invoices = {i.id: i for i in story.billing.invoices.iterate()}
    write(
        f"  {'month':<6}{'client invoice':<17}{'net':>9}{'total':>10}  {'status':<7}"
        f"{'customer invoice':<17}{'total':>9}  status"
    )
    by_month: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in story.issued:
        if invoice.issued_on is not None and invoice.id != "order:O-1001":
            by_month[invoice.issued_on.month].append(invoice)
    for month in range(1, 13):
        ours = [invoices[i.id] for i in by_month[month] if i.source_id == retainer.id]
        theirs = [invoices[i.id] for i in by_month[month] if i.source_id != retainer.id]
        for row, (mine, sale) in enumerate(zip_longest(ours, theirs)):
            left = (
                f"{mine.number:<17}{_m(mine.subtotal):>9}{_m(mine.total):>10}  {mine.status.value:<7}"
                if mine is not None
                else " " * 45
            )
            right = f"{sale.number:<17}{_m(sale.total):>9}  {sale.status.value}" if sale else ""
            label = f"{date(2026, month, 1):%b}" if row == 0 else ""
            write(f"  {label:<6}{left}{right}".rstrip())
    client_net = sum(
        (i.subtotal for i in invoices.values() if i.source_id == retainer.id), Money.zero("GBP")
    )
    write(
        f"  Client billed {_m(client_net)} GBP net: January prorated (17 of 31 days); the fee went"
    )
    write(
        "  1,500 -> 1,800 on 2026-06-15, after June was billed: adjustment -800.00 + 960.00 (16/30 days)."
    )
    orders = list(story.billing.orders.iterate())
    bought = purchase_revenue(
        [o for o in orders if o.party_id == school.id],
        date(2026, 1, 1),
        date(2027, 1, 1),
        ZONE,
        "GBP",
    )
    refunded = story.billing.orders.get("O-2011")
    write(f"  Customer: 12 orders, {_m(bought)} GBP net of refunds; each invoiced when fulfilled.")
    write(
        f"  2026-12-02: damaged kit refunded on O-2011: {note.number}, {_m(note.total)} GBP "
        f"({refunded.status.value.replace('_', ' ')})"
    )
    write(
        f"  Running the biller again for 2026-12-31 issues {rerun.invoices_issued} invoices (idempotent)."
    )
    return school.id


def _metrics(story: _Story, retainer_id: str) -> None:
    write = story.write
    _heading(write, "6. Recurring revenue and the lapse")
    retainers = list(story.billing.retainers.iterate())
    retainer = next(r for r in retainers if r.id == retainer_id)
    change = story.crm.engagements.get(retainer.engagement_id or "").history[-1]
    write(
        f"  On {change.on:%Y-%m-%d}: {change.from_kind.value} -> {change.to_kind.value} ({change.reason})"
    )
    ends = retainer.ends_on
    write(
        f"  Retainer {retainer.status.value}: service ends {ends:%Y-%m-%d}, after the December period"
    )
    year_end = date(2026, 12, 31)
    mrr = monthly_recurring_revenue(retainers, year_end, "GBP")
    arr = annual_recurring_revenue(retainers, year_end, "GBP")
    write(f"  MRR on {year_end:%Y-%m-%d}: {_m(mrr)} GBP   ARR: {_m(arr)} GBP")
    write(
        f"  {'MRR movements':<26}{'start':>10}{'new':>10}{'expansion':>11}{'churn':>10}{'end':>10}"
    )
    for start, end in [
        (date(2026, 1, 1), date(2026, 6, 1)),
        (date(2026, 6, 1), year_end),
        (year_end, date(2027, 1, 1)),
    ]:
        m = mrr_movements(retainers, start, end, "GBP")
        assert m.starting + m.net_new == m.ending  # noqa: S101 - they reconcile by construction
        write(
            f"  {start:%Y-%m-%d} -> {end:%Y-%m-%d}{_m(m.starting):>10}{_m(m.new):>10}"
            f"{_m(m.expansion):>11}{_m(m.churn):>10}{_m(m.ending):>10}"
        )
    story.at(date(2027, 1, 1), 18)
    after = story.billing.run()
    write(f"  The biller on 2027-01-01: {after.invoices_issued} invoices (the retainer has ended)")


_KINDS = ("party", "engagement", "interaction", "order", "retainer", "invoice", "credit_note")
_LABELS = {
    "party": "parties",
    "engagement": "engagements",
    "interaction": "interactions",
    "order": "orders",
    "retainer": "retainers",
    "invoice": "invoices",
    "credit_note": "credit notes",
}


def _read_back(crm: CRM) -> tuple[dict[str, int], dict[str, int], tuple[str, ...]]:
    records = {kind: sum(1 for _ in crm.repository(kind).iterate()) for kind in _KINDS}
    events = Counter(event.type for event in _all_events(crm))
    numbers = tuple(
        sorted(i.number for i in crm.repository("invoice").iterate() if i.number is not None)
    )
    return records, dict(events), numbers


def _all_events(crm: CRM) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    after = 0
    while True:
        page = crm.events.read_stored(after, 500)
        out.extend(page)
        if len(page) < 500:
            return out
        after = page[-1].seq


def _read_back_chapter(
    write: Write, records: dict[str, int], events: dict[str, int], numbers: tuple[str, ...]
) -> None:
    _heading(write, "10. Read back from the store (reopened)")
    counts = [f"{_LABELS[kind]} {count}" for kind, count in records.items()]
    write("  " + "   ".join(counts[:4]))
    write("  " + "   ".join(counts[4:]))
    families: Counter[str] = Counter()
    for name, count in events.items():
        families[name.split(".")[0]] += count
    summary = f"events {sum(events.values())}: " + ", ".join(
        f"{family} {count}" for family, count in sorted(families.items())
    )
    for line in textwrap.wrap(summary, width=96, subsequent_indent="  "):
        write("  " + line)
    expected = tuple(f"INV-2026-{n:06d}" for n in range(1, len(numbers) + 1))
    gaps = "no gaps" if numbers == expected else "GAPS FOUND"
    write(f"  invoice numbers {numbers[0]} .. {numbers[-1]}: {len(numbers)} issued, {gaps}")


def run_demo(write: Write, url: str) -> DemoResult:
    """Tell the story on the store at *url* (which must be empty) and read it back."""
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    with open_store(url, clock=clock, config=demo_config()) as crm:  # fulfilment invoices at once
        if crm.parties.query(limit=1).items:
            raise ValidationError("store", url, "the demo needs an empty store; give a fresh one")
        story = _Story(crm, clock, write)
        client, engagement = _first_purchase(story)
        lead_to_customer(story, client, engagement)
        _conversations(story, engagement)
        retainer = _promotion(story, engagement)
        _year(story, client, engagement, retainer)
        _metrics(story, retainer.id)
        notifications(story)
        support_chapter(story)
        dashboard = prepare_dashboard(story)  # chapter 12, told last
        if url.startswith("memory:"):  # nothing to reopen: read the same store
            records, events, numbers = _read_back(crm)
            _read_back_chapter(write, records, events, numbers)
            rules_chapter(story)
    if not url.startswith("memory:"):
        with open_store(url) as reopened:
            records, events, numbers = _read_back(reopened)
        _read_back_chapter(write, records, events, numbers)
        with open_store(url, clock=clock, config=demo_config()) as crm:
            rules_chapter(_Story(crm, clock, write))
    reports_chapter(story, dashboard)
    return DemoResult(url, numbers, records, events)
