"""Line items, invoices, credit notes, numbering, payments, orders and refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._billing.biller import credit_note_for_refund, invoice_for_order
from relationship_core._billing.events import (
    InvoiceIssued,
    InvoicePaid,
    OrderFulfilled,
    OrderRefunded,
    PaymentReceived,
)
from relationship_core._billing.invoices import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
)
from relationship_core._billing.lines import LineItem, LineKind, sum_lines
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import ORDER_TRANSITIONS, Order, OrderStatus, Refund
from relationship_core._serialize import structure, unstructure
from relationship_core.exceptions import InvalidTransitionError, ValidationError

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def status(thing: object) -> object:
    """Read a status without letting mypy narrow it between moves."""
    return thing.status  # type: ignore[attr-defined]


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def order(*lines: LineItem) -> Order:
    return Order.place(
        "O1", "C1", lines or (LineItem("Cake", 2, eur("12.50"), LineKind.PRODUCT),), AT
    )


# -- lines and totals -------------------------------------------------------------------
def test_line_rounding_discount_and_tax() -> None:
    line = LineItem("Hours", "2.5", eur("33.333"), discount=eur("5.00"), tax_rate="0.21")
    assert line.gross == Money("83.3325", "EUR")
    assert line.net == eur("78.33")
    assert line.tax == eur("16.45")
    assert line.total == eur("94.78")


def test_zero_and_three_decimal_currencies_round_to_their_minor_units() -> None:
    yen = LineItem("Tea", 3, Money("333.4", "JPY"), tax_rate="0.1")
    assert (yen.net, yen.tax, yen.total) == (
        Money("1000", "JPY"),
        Money("100", "JPY"),
        Money("1100", "JPY"),
    )
    dinar = LineItem("Fee", 1, Money("1.2345", "KWD"))
    assert dinar.net == Money("1.235", "KWD")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"unit_price": eur("-1.00")}, "unit_price"),
        ({"discount": eur("50.00")}, "discount"),
        ({"discount": Money("1.00", "USD")}, "discount"),
        ({"tax_rate": "-0.1"}, "tax_rate"),
        ({"description": " "}, "description"),
    ],
)
def test_bad_lines_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"description": "x", "quantity": 1, "unit_price": eur("10.00")}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        LineItem(**args)  # type: ignore[arg-type]
    assert info.value.field == field


money_amounts = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 50),
            money_amounts,
            st.sampled_from(["0", "0.05", "0.055", "0.2", "0.21"]),
            st.integers(0, 100),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_totals_never_lose_a_cent(
    specs: list[tuple[int, Decimal, str, int]], currency: str
) -> None:
    lines = []
    for qty, price, rate, discount_pct in specs:
        gross = price * qty
        discount = Money((gross * discount_pct / 100).quantize(Decimal("0.0001")), currency)
        lines.append(LineItem("x", qty, Money(price, currency), discount=discount, tax_rate=rate))
    invoice = Invoice("I", "P", currency, tuple(lines))
    subtotal, tax, total = sum_lines(invoice.lines, invoice.currency)
    assert subtotal + tax == total == invoice.total
    assert total == sum((line.total for line in lines), Money.zero(currency))
    assert all(m.is_rounded for m in (subtotal, tax, total))
    # each line is within half a minor unit of its exact value
    half = Decimal(1).scaleb(-invoice.currency.minor_units) / 2
    for line in lines:
        assert line.discount is not None
        exact = line.gross.amount - line.discount.amount
        assert abs(line.net.amount - exact) <= half


def test_cached_totals_follow_new_lines_and_are_never_stored() -> None:
    invoice = Invoice("I", "P", "EUR", (LineItem("x", 1, eur("1.00")),))
    assert invoice.total == eur("1.00")
    invoice.add_line(LineItem("y", 2, eur("0.50")))
    assert invoice.total == eur("2.00") == sum_lines(invoice.lines, invoice.currency)[2]
    document = unstructure(invoice)
    assert not any("sums" in key for key in document)
    assert structure(document, Invoice) == invoice
    placed = order()  # orders keep no cache: summed on every read, without raising
    assert placed.total == placed.total == eur("25.00")


# -- numbering -------------------------------------------------------------------------------
def test_numbers_are_gapless_and_taken_only_at_issue() -> None:
    seq = InvoiceNumberSequence("acme")
    drafts = [Invoice(f"I{i}", "P", "EUR", (LineItem("x", 1, eur("1.00")),)) for i in range(5)]
    assert seq.peek(date(2026, 3, 1)) == "INV-2026-000001"
    issued = []
    for i, draft in enumerate(drafts):
        if i % 2:  # some drafts are never issued: they take no number
            continue
        issued.append(draft.issue(seq, date(2026, 3, 1), AT))
    assert issued == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    drafts[0].void("typo", AT)
    assert drafts[0].number == "INV-2026-000001"  # voided, never reused
    assert drafts[1].issue(seq, date(2026, 3, 2), AT) == "INV-2026-000004"
    with pytest.raises(ValidationError) as info:
        seq.take(date(2025, 12, 31))
    assert info.value.field == "on"
    plain = InvoiceNumberSequence("x", prefix="CN", yearly=False, width=4)
    assert [plain.take(date(2026, 1, 1)), plain.take(date(2027, 1, 1))] == ["CN-0001", "CN-0002"]


@settings(max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 800), st.booleans()), max_size=40))
def test_issued_numbers_are_consecutive(plan: list[tuple[int, bool]]) -> None:
    seq = InvoiceNumberSequence("acme")
    numbers: list[str] = []
    day = date(2026, 1, 1)
    for offset, issue in plan:
        day = day + timedelta(days=offset % 5)
        draft = Invoice(f"I{len(numbers)}", "P", "EUR", (LineItem("x", 1, eur("1.00")),))
        if issue:
            numbers.append(draft.issue(seq, day, AT))
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        _, year, counter = number.split("-")
        by_year.setdefault(year, []).append(int(counter))
    for counters in by_year.values():
        assert counters == list(range(1, len(counters) + 1))


# -- invoice life cycle ------------------------------------------------------------------------
def test_issue_partial_payments_and_paid() -> None:
    invoice = Invoice(
        "I1",
        "P",
        "EUR",
        (LineItem("Work", 1, eur("100.00"), tax_rate="0.2"),),
        payment_terms_days=14,
    )
    with pytest.raises(ValidationError):
        invoice.record_payment(Payment("pay1", eur("10.00"), AT))
    invoice.issue(InvoiceNumberSequence("acme"), date(2026, 3, 2), AT)
    assert invoice.due_on == date(2026, 3, 16)
    invoice.record_payment(Payment("pay1", eur("20.00"), AT))
    assert invoice.balance == eur("100.00")
    assert invoice.status is InvoiceStatus.ISSUED
    with pytest.raises(ValidationError) as info:
        invoice.record_payment(Payment("pay1", eur("1.00"), AT))
    assert info.value.field == "payment.id"
    with pytest.raises(ValidationError) as info:
        invoice.record_payment(Payment("pay2", eur("100.01"), AT))
    assert info.value.field == "payment.amount"
    invoice.record_payment(Payment("pay2", eur("100.00"), AT))
    assert status(invoice) is InvoiceStatus.PAID
    assert [type(e) for e in invoice.pull_events()] == [
        InvoiceIssued,
        PaymentReceived,
        PaymentReceived,
        InvoicePaid,
    ]
    with pytest.raises(InvalidTransitionError) as exc:
        invoice.void("late", AT)
    assert exc.value.allowed == ()


def test_invalid_invoice_moves_name_the_allowed_ones() -> None:
    invoice = Invoice("I1", "P", "EUR", (LineItem("x", 1, eur("1.00")),))
    with pytest.raises(InvalidTransitionError) as info:
        invoice.void("no", AT)
    assert info.value.allowed == ("issued",)
    with pytest.raises(ValidationError) as exc:
        Invoice("I2", "P", "EUR").issue(InvoiceNumberSequence("a"), date(2026, 1, 1), AT)
    assert exc.value.field == "lines"
    with pytest.raises(ValidationError) as exc:
        Invoice("I3", "P", "EUR", (LineItem("x", 1, Money("1.00", "USD")),))
    assert exc.value.field == "lines[0].unit_price"
    with pytest.raises(ValidationError) as exc:
        Invoice("I4", "P", "ZZZ")
    assert (exc.value.field, exc.value.value) == ("currency", "ZZZ")


def test_credit_notes_reduce_the_balance() -> None:
    invoice = Invoice("I1", "P", "EUR", (LineItem("Work", 1, eur("100.00")),))
    invoice.issue(InvoiceNumberSequence("acme"), date(2026, 3, 2), AT)
    note = CreditNote("N1", "P", "EUR", (LineItem("Goodwill", 1, eur("30.00")),), invoice_id="I1")
    with pytest.raises(ValidationError):
        invoice.apply_credit_note(note, AT)  # not issued yet
    note.issue(InvoiceNumberSequence("acme-cn", prefix="CN"), date(2026, 3, 3), AT)
    invoice.apply_credit_note(note, AT)
    assert invoice.balance == eur("70.00")
    with pytest.raises(ValidationError):
        invoice.apply_credit_note(note, AT)  # once only
    invoice.record_payment(Payment("p", eur("70.00"), AT))
    assert invoice.status is InvoiceStatus.PAID


# -- orders -----------------------------------------------------------------------------------
def test_order_happy_path_to_invoice_and_payment() -> None:
    o = order(
        LineItem("Cake", 2, eur("12.50"), LineKind.PRODUCT, tax_rate="0.055"),
        LineItem(
            "Delivery", 1, eur("5.00"), LineKind.SERVICE, discount=eur("5.00"), tax_rate="0.2"
        ),
    )
    assert (o.subtotal, o.tax, o.total) == (eur("25.00"), eur("1.38"), eur("26.38"))
    o.assign("bakery", AT)
    o.assign("night-shift", AT)  # reassignment
    o.start_work(AT)
    o.fulfil(AT)
    invoice = invoice_for_order(o, AT)
    assert o.status is OrderStatus.INVOICED
    assert invoice.id == invoice.idempotency_key == "order:O1"
    assert invoice.total == o.total
    invoice.issue(InvoiceNumberSequence("acme"), date(2026, 3, 2), AT)
    invoice.record_payment(Payment("p", invoice.total, AT))
    o.mark_paid(AT)
    assert status(o) is OrderStatus.PAID
    assert any(isinstance(e, OrderFulfilled) for e in o.pull_events())
    with pytest.raises(ValidationError):
        invoice_for_order(o, AT)


def test_invalid_order_moves_name_the_allowed_ones() -> None:
    o = order()
    with pytest.raises(InvalidTransitionError) as info:
        o.fulfil(AT)
    assert info.value.allowed == ("assigned", "cancelled")
    assert "allowed moves: assigned, cancelled" in str(info.value)
    o.assign("team", AT)
    o.cancel("changed mind", AT)
    with pytest.raises(InvalidTransitionError) as info:
        o.assign("team", AT)
    assert info.value.allowed == ()


def test_transition_table_is_closed_and_final_states_are_final() -> None:
    for targets in ORDER_TRANSITIONS.values():
        assert targets <= set(OrderStatus)
    assert ORDER_TRANSITIONS[OrderStatus.REFUNDED] == frozenset()
    assert ORDER_TRANSITIONS[OrderStatus.CANCELLED] == frozenset()


def paid_order() -> Order:
    o = order(
        LineItem("Cake", 3, eur("9.99"), LineKind.PRODUCT, tax_rate="0.055"),
        LineItem("Workshop", 1, eur("40.00"), LineKind.SERVICE, tax_rate="0.2"),
    )
    o.assign("t", AT)
    o.start_work(AT)
    o.fulfil(AT)
    o.mark_invoiced("order:O1", AT)
    o.mark_paid(AT)
    return o


def test_partial_then_full_refund_with_credit_notes() -> None:
    o = paid_order()
    assert o.total == eur("79.62")
    note = credit_note_for_refund(o, Refund("r1", eur("20.00"), AT, "late"))
    assert o.status is OrderStatus.PARTIALLY_REFUNDED
    assert note.total == eur("20.00")
    assert note.invoice_id == "order:O1"
    rest = credit_note_for_refund(o, Refund("r2", eur("59.62"), AT))
    assert rest.total == eur("59.62")
    assert status(o) is OrderStatus.REFUNDED
    assert o.refunded == o.total
    events = [e for e in o.pull_events() if isinstance(e, OrderRefunded)]
    assert [e.full for e in events] == [False, True]
    with pytest.raises(InvalidTransitionError):
        o.refund(Refund("r3", eur("0.01"), AT))


def test_full_refund_credits_every_line_as_sold() -> None:
    o = paid_order()
    note = credit_note_for_refund(o, Refund("r1", o.total, AT))
    assert note.total == o.total
    assert note.tax == o.tax
    assert o.status is OrderStatus.REFUNDED


def test_refunds_beyond_what_is_left_are_refused() -> None:
    o = paid_order()
    with pytest.raises(ValidationError) as info:
        o.refund(Refund("r1", eur("79.63"), AT))
    assert info.value.field == "refund.amount"
    with pytest.raises(ValidationError) as info:
        Refund("r", eur("-1.00"), AT)
    assert info.value.field == "amount"


@settings(max_examples=100)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=6))
def test_refund_credit_notes_total_exactly_the_refunds(cents: list[int]) -> None:
    o = paid_order()
    left = o.total.minor_units
    for i, c in enumerate(cents):
        amount = min(c, left)
        if amount == 0:
            break
        note = credit_note_for_refund(o, Refund(f"r{i}", Money.from_minor(amount, "EUR"), AT))
        assert note.total == Money.from_minor(amount, "EUR")
        left -= amount
    assert o.total - o.refunded == Money.from_minor(left, "EUR")


def test_orders_refuse_bad_input() -> None:
    with pytest.raises(ValidationError) as info:
        Order.place("O", "C", [], AT)
    assert info.value.field == "lines"
    with pytest.raises(ValidationError) as info:
        Order.place(
            "O", "C", [LineItem("x", 1, eur("1.00")), LineItem("y", 1, Money("1", "JPY"))], AT
        )
    assert info.value.field == "lines[1].unit_price"
    with pytest.raises(ValidationError) as info:
        Order.place("O", "C", [LineItem("x", 1, eur("1.00"))], datetime(2026, 1, 1))  # noqa: DTZ001
    assert info.value.field == "placed_at"
    with pytest.raises(ValidationError) as info:
        Order.place("O", "C", [LineItem("x", 1, eur("-1.00"), LineKind.CREDIT)], AT)
    assert info.value.field == "lines[0].kind"


def test_drafts_take_lines_and_credits_mirror_tax() -> None:
    invoice = Invoice("I1", "P", "EUR")
    line = LineItem("Work", 3, eur("19.99"), discount=eur("1.00"), tax_rate="0.2")
    invoice.add_line(line)
    credit = line.as_credit()
    assert credit.kind is LineKind.CREDIT
    assert (credit.net, credit.tax) == (-line.net, -line.tax)
    invoice.add_line(credit)
    assert invoice.total == eur("0.00")
    invoice.issue(InvoiceNumberSequence("acme"), date(2026, 3, 2), AT)
    assert status(invoice) is InvoiceStatus.PAID  # nothing to pay
    with pytest.raises(ValidationError) as info:
        invoice.add_line(line)
    assert info.value.field == "status"


def test_a_negative_invoice_must_be_a_credit_note() -> None:
    invoice = Invoice("I1", "P", "EUR", (LineItem("Refund", 1, eur("-5.00"), LineKind.CREDIT),))
    with pytest.raises(ValidationError) as info:
        invoice.issue(InvoiceNumberSequence("acme"), date(2026, 3, 2), AT)
    assert info.value.field == "total"
    note = CreditNote("N1", "P", "EUR", (LineItem("Less", 1, eur("-5.00"), LineKind.CREDIT),))
    with pytest.raises(ValidationError) as info:
        note.issue(InvoiceNumberSequence("cn", prefix="CN"), date(2026, 3, 2), AT)
    assert info.value.field == "total"
