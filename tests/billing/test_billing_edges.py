"""Bad arguments to public billing names are `ValidationError`s naming the argument.

Regressions of the public fuzz test (``tests/test_fuzz_public.py``): wrong
types used to escape as ``AttributeError``, billing text took control
characters and surrogates, and a huge quantity made a line's amounts raise
``decimal.InvalidOperation``.
"""

from __future__ import annotations

import decimal
import signal
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest

from relationship_core import (
    LineItem,
    credit_note_for_refund,
    gross_revenue_retention,
    issue_documents,
    logo_churn_rate,
    net_revenue_retention,
    next_billing_date,
    next_due_period,
    period_due_on,
    period_key,
    purchase_revenue_by_period,
    retainer_mrr,
    revenue_churn_rate,
    start_retainer_for,
)
from relationship_core._app.billing import BillingService
from relationship_core._billing.orders import Order, Refund
from relationship_core.exceptions import ValidationError

from .conftest import AT, make_retainer, usd

WRONG_TYPES: dict[str, tuple[Callable[[], object], str]] = {
    "logo_churn_rate": (lambda: logo_churn_rate([]), "movements"),  # type: ignore[arg-type]
    "revenue_churn_rate": (lambda: revenue_churn_rate(None), "movements"),  # type: ignore[arg-type]
    "net_revenue_retention": (lambda: net_revenue_retention({}), "movements"),  # type: ignore[arg-type]
    "gross_revenue_retention": (lambda: gross_revenue_retention(1), "movements"),  # type: ignore[arg-type]
    "purchase_revenue_by_period": (
        lambda: purchase_revenue_by_period([], [1], "UTC", "USD"),  # type: ignore[list-item]
        "periods[0]",
    ),
    "retainer_mrr": (lambda: retainer_mrr(None, date(2026, 1, 1)), "retainer"),  # type: ignore[arg-type]
    "period_key": (lambda: period_key("R1", {}), "period_start"),  # type: ignore[arg-type]
    "period_key text": (lambda: period_key("R\x001", date(2026, 1, 1)), "retainer_id"),
    "period_due_on": (lambda: period_due_on([], None), "retainer"),  # type: ignore[arg-type]
    "next_billing_date": (lambda: next_billing_date([]), "retainer"),  # type: ignore[arg-type]
    "next_due_period": (lambda: next_due_period([], date(2026, 1, 1)), "retainer"),  # type: ignore[arg-type]
    "issue_documents": (
        lambda: issue_documents(["x"], None, None, date(2026, 1, 1), AT),  # type: ignore[list-item, arg-type]
        "steps[0]",
    ),
    "start_retainer_for": (
        lambda: start_retainer_for("E1", None, AT),  # type: ignore[arg-type]
        "engagement",
    ),
    "BillingService": (lambda: BillingService("memory://"), "crm"),  # type: ignore[arg-type]
    "credit_note_for_refund": (
        lambda: credit_note_for_refund(object(), None),  # type: ignore[arg-type]
        "order",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_a_wrong_argument_type_is_a_validation_error_naming_it(name: str) -> None:
    call, field = WRONG_TYPES[name]
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field


def test_the_retainer_functions_still_answer_for_a_retainer() -> None:
    retainer = make_retainer()
    period = next_due_period(retainer, date(2026, 1, 1))
    assert period is not None
    assert period_due_on(retainer, period) == next_billing_date(retainer) == date(2026, 1, 1)


@pytest.fixture
def two_seconds() -> Iterator[None]:
    """Fail a call that takes over two seconds instead of hanging the suite."""

    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError("took over 2 s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, 2.0)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("order", [None, [], "O1", 10**4000, Decimal("1e999999"), object()])
def test_credit_note_for_refund_refuses_junk_quickly(order: object, two_seconds: None) -> None:
    refund = Refund("F1", usd("1.00"), AT)
    with pytest.raises(ValidationError, match="order"):
        credit_note_for_refund(order, refund)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["a\x00b", "tab\there", "\ud800", "line\nbreak", "\x9f"])
def test_billing_text_refuses_control_characters_and_surrogates(text: str) -> None:
    with pytest.raises(ValidationError, match="description"):
        LineItem(text, 1, usd("1.00"))
    with pytest.raises(ValidationError, match="id"):
        Refund(text, usd("1.00"), AT)
    with pytest.raises(ValidationError, match="party_id"):
        Order.place("O1", text, [LineItem("Work", 1, usd("1.00"))], AT)


@pytest.mark.parametrize("quantity", [10**30, 10**4000, Decimal("1e999999"), "1e25"])
def test_a_quantity_past_money_bounds_is_refused_when_the_line_is_made(quantity: object) -> None:
    with pytest.raises(ValidationError) as caught:
        LineItem("Work", quantity, usd("1.00"))
    assert caught.value.field == "quantity"


def test_line_amounts_at_the_bounds_are_money_and_ignore_the_global_context() -> None:
    line = LineItem("Work", "99999999999999", usd("9999.99"), tax_rate="0.2")
    with decimal.localcontext() as ctx:
        ctx.prec = 5  # a caller's context must not change an invoice
        assert line.net == usd("999998999999990000.01")
        assert line.tax == usd("199999799999998000.00")
    with pytest.raises(ValidationError):  # net + tax is past the bounds: refused, not raw
        _ = line.total
    small = LineItem("Work", "1.5", usd("0.333"), tax_rate="0.2")
    assert (small.net, small.tax, small.total) == (usd("0.50"), usd("0.10"), usd("0.60"))
