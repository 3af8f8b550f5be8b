"""The library's own orders and invoices as a transactions DataFrame.

The bridge between the domain model and the summaries in `_data`: money
becomes floats here and only here, and one currency per frame is enforced.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import CurrencyMismatchError, ValidationError

__all__ = ["transactions_from_invoices", "transactions_from_orders", "transactions_from_store"]


class OrderLike(Protocol):
    """What `transactions_from_orders` reads from an order."""

    @property
    def party_id(self) -> object: ...
    @property
    def placed_at(self) -> datetime: ...
    @property
    def total(self) -> Money: ...


class InvoiceLike(Protocol):
    """What `transactions_from_invoices` reads from an invoice."""

    @property
    def party_id(self) -> object: ...
    @property
    def issued_on(self) -> date: ...
    @property
    def total(self) -> Money: ...
    @property
    def status(self) -> object: ...


def _amount(field: str, total: object, currency: list[str]) -> float:
    if not isinstance(total, Money):
        raise ValidationError(field, total, "expected a Money total")
    code = total.currency.code
    if not currency:
        currency.append(code)
    elif code != currency[0]:
        raise CurrencyMismatchError(currency[0], code, "analyse together").prefixed(field)
    # Floats only here, at the analytics boundary: the models work in floating point.
    return float(total.amount)


def _frame(
    customers: list[object], stamps: pd.DatetimeIndex, amounts: list[float], currency: list[str]
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(customers, dtype=object),
            "date": stamps,
            "amount": np.asarray(amounts, dtype=np.float64),
        }
    )
    frame.attrs["currency"] = currency[0] if currency else None
    return frame


def transactions_from_orders(orders: Iterable[OrderLike]) -> pd.DataFrame:
    """Turn orders into a transactions DataFrame for `customer_summary`.

    Orders whose ``status`` (if they have one) is cancelled or refunded are
    skipped; when an order has a ``refunded`` Money total (partial refunds),
    the amount is ``total - refunded``.

    Args:
        orders: Objects with ``party_id``, ``placed_at`` (aware datetime) and
            ``total`` (`Money`), all in one currency.

    Returns:
        Columns ``customer_id`` (the party id), ``date`` (UTC datetimes; pass
        an aware ``observation_end`` in your local zone to count days
        locally) and ``amount`` (float). ``frame.attrs["currency"]`` holds the
        currency code (None when empty).

    Raises:
        CurrencyMismatchError: The orders are in more than one currency.
        ValidationError: An order has a naive ``placed_at`` or a non-Money total.
    """
    customers: list[object] = []
    stamps: list[datetime] = []
    amounts: list[float] = []
    currency: list[str] = []
    for i, order in enumerate(orders):
        if _status_in(getattr(order, "status", None), _NOT_PURCHASES):
            continue
        stamps.append(require_aware(f"orders[{i}].placed_at", order.placed_at))
        amount = _amount(f"orders[{i}].total", order.total, currency)
        refunded = getattr(order, "refunded", None)
        if isinstance(refunded, Money):
            amount -= _amount(f"orders[{i}].refunded", refunded, currency)
        amounts.append(amount)
        customers.append(order.party_id)
    index = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True) if stamps else [], tz="UTC")
    return _frame(customers, index, amounts, currency)


_NOT_PURCHASES = frozenset({"cancelled", "canceled", "refunded"})
_NOT_BILLED = frozenset({"void", "voided", "draft"})


def _status_in(status: object, names: frozenset[str]) -> bool:
    value = getattr(status, "value", status)
    return isinstance(value, str) and value.strip().lower() in names


def transactions_from_invoices(invoices: Iterable[InvoiceLike]) -> pd.DataFrame:
    """Turn invoices into a transactions DataFrame, skipping void and draft ones.

    Args:
        invoices: Objects with ``party_id``, ``issued_on`` (date), ``total``
            (`Money`, one currency) and ``status``
            (an enum or string; ``"void"`` and ``"draft"`` invoices are
            skipped: they were never billed). Credit notes are not netted.

    Returns:
        Columns ``customer_id``, ``date`` (naive midnight of ``issued_on``)
        and ``amount`` (float); ``frame.attrs["currency"]`` holds the code.

    Raises:
        CurrencyMismatchError: The invoices are in more than one currency.
        ValidationError: An invoice has a bad date or a non-Money total.
    """
    customers: list[object] = []
    days: list[date] = []
    amounts: list[float] = []
    currency: list[str] = []
    for i, invoice in enumerate(invoices):
        if _status_in(invoice.status, _NOT_BILLED):
            continue
        days.append(require_date(f"invoices[{i}].issued_on", invoice.issued_on))
        amounts.append(_amount(f"invoices[{i}].total", invoice.total, currency))
        customers.append(invoice.party_id)
    index = pd.DatetimeIndex(
        np.array([np.datetime64(d, "D") for d in days], dtype="datetime64[D]").astype(
            "datetime64[us]"
        )
    )
    return _frame(customers, index, amounts, currency)


class _StoreLike(Protocol):
    def repository(self, kind: str) -> Any: ...


def transactions_from_store(
    crm: _StoreLike, *, source: Literal["orders", "invoices"]
) -> pd.DataFrame:
    """Read a store's own orders or invoices as a transactions DataFrame.

    Analyse what the library stores with no export code of your own:
    ``customer_summary(transactions_from_store(crm, source="orders"), ...)``.
    Per-purchase customers are usually best seen through ``"orders"`` (the
    moment of purchase); retainer clients through ``"invoices"`` (what was
    billed). The same filters apply as in `transactions_from_orders`
    and `transactions_from_invoices`.

    Args:
        crm: An open store (from `relationship_core.open`).
        source: ``"orders"`` or ``"invoices"``.

    Raises:
        ValidationError: *source* is neither.
    """
    if source == "orders":
        return transactions_from_orders(crm.repository("order").iterate())
    if source == "invoices":
        return transactions_from_invoices(crm.repository("invoice").iterate())
    raise ValidationError("source", source, "expected 'orders' or 'invoices'")
