"""The revenue report: clients' MRR/ARR and its movements, customers' purchase revenue, by month."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from relationship_core._app.facade import CRM
from relationship_core._billing.metrics import MrrMovements, mrr_movements, order_revenue
from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._billing.rates import ExchangeRates, require_rates
from relationship_core._billing.retainer import Retainer
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money
from relationship_core._reports._months import business_zone, last_months, month_bounds
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)
from relationship_core.exceptions import ValidationError

__all__ = ["RevenueMonth", "RevenueReport", "revenue_report"]

_PAGE = 1000
_COUNTED = [s.value for s in OrderStatus if s is not OrderStatus.CANCELLED]


@attrs.frozen(kw_only=True)
class RevenueMonth:
    """One local month in one currency.

    Attributes:
        month: The month's first local day.
        currency: The ISO code; currencies are never added together.
        orders: Orders placed in the month (cancelled ones left out).
        purchase_revenue: Their revenue, net of refunds, before tax (`order_revenue`).
        movements: How clients' MRR moved from the day before the month to its last day
            (or to today, for the current month); ``None`` without retainers in this currency.
    """

    month: date
    currency: str
    orders: int
    purchase_revenue: Money
    movements: MrrMovements | None

    @property
    def mrr(self) -> Money:
        """Clients' MRR at the month's end (zero without retainers)."""
        return Money.zero(self.currency) if self.movements is None else self.movements.ending

    @property
    def arr(self) -> Money:
        """``mrr x 12``."""
        return self.mrr * 12


@attrs.frozen(kw_only=True)
class RevenueReport:
    """Revenue per local month and currency.

    Attributes:
        months: The months covered, oldest first (first local days).
        rows: One per month and currency with orders or retainers, by month then currency.
    """

    months: tuple[date, ...]
    rows: tuple[RevenueMonth, ...]

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = f"Revenue per month, {self.months[0]:%Y-%m} to {self.months[-1]:%Y-%m}"
        columns = ["month", "currency", "orders", "purchases", "MRR", "ARR", "new", "expansion"]
        columns += ["contraction", "churn"]
        rows: list[list[object]] = []
        for r in self.rows:
            m = r.movements
            moves = ["-"] * 4 if m is None else [_n(m.new + m.reactivation), _n(m.expansion)]
            if m is not None:
                moves += [_n(m.contraction), _n(m.churn)]
            rows.append(
                [
                    f"{r.month:%Y-%m}",
                    r.currency,
                    r.orders,
                    _n(r.purchase_revenue),
                    _n(r.mrr),
                    _n(r.arr),
                    *moves,
                ]
            )
        return title, columns, rows

    def to_text(self) -> str:
        """The report as a terminal table (movements: new includes reactivations)."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per month and currency (needs the analytics extra)."""
        pandas = require_pandas()
        records = []
        for r in self.rows:
            m = r.movements
            records.append(
                {
                    "month": r.month,
                    "currency": r.currency,
                    "orders": r.orders,
                    "purchase_revenue": r.purchase_revenue.amount,
                    "mrr": r.mrr.amount,
                    "arr": r.arr.amount,
                    **{
                        name: None if m is None else getattr(m, name).amount
                        for name in ("new", "expansion", "contraction", "churn", "reactivation")
                    },
                }
            )
        return pandas.DataFrame.from_records(records)

    def plot(self) -> Any:
        """Per currency: purchase revenue as bars, MRR as a line (needs the analytics extra)."""
        plt = require_matplotlib()
        currencies = sorted({r.currency for r in self.rows}) or ["-"]
        figure, axes = plt.subplots(
            len(currencies), 1, figsize=(7, 2.8 * len(currencies)), squeeze=False
        )
        for ax, code in zip(axes[:, 0], currencies, strict=True):
            mine = [r for r in self.rows if r.currency == code]
            labels = [f"{r.month:%Y-%m}" for r in mine]
            ax.bar(labels, [float(r.purchase_revenue.amount) for r in mine], label="purchases")
            ax.plot(
                labels, [float(r.mrr.amount) for r in mine], "o-", color="tab:orange", label="MRR"
            )
            ax.set_title(f"Revenue per month ({code})")
            ax.tick_params(axis="x", rotation=30)
            ax.legend()
        figure.tight_layout()
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _n(money: Money) -> str:
    return f"{money.amount:.2f}"


def _retainers(crm: CRM) -> Iterator[Retainer]:
    repository = crm.repository(Retainer)
    after = None
    while True:
        page = repository.query(limit=_PAGE, after=after)
        yield from page.items
        if page.next_cursor is None:
            return
        after = page.next_cursor


def _reporting(
    reporting_currency: Currency | str | None, rates: ExchangeRates | None
) -> str | None:
    require_rates(rates)
    if (reporting_currency is None) != (rates is None):
        raise ValidationError(
            "rates" if rates is None else "reporting_currency",
            rates if rates is None else reporting_currency,
            "give reporting_currency and rates together",
        )
    if reporting_currency is None:
        return None
    try:
        return Currency.of(reporting_currency).code
    except ValidationError as exc:
        raise ValidationError("reporting_currency", reporting_currency, exc.reason) from None


def revenue_report(
    crm: CRM,
    *,
    months: int = 12,
    business: str = DEFAULT_BUSINESS,
    reporting_currency: Currency | str | None = None,
    rates: ExchangeRates | None = None,
) -> RevenueReport:
    """Revenue of the last *months* local months (this one included), per currency.

    Purchase revenue (`purchase_revenue`'s definition: orders placed on the
    month's local days, net of discounts and refunds, before tax) is one
    aggregate statement a month over the orders' indexed ``revenue``. MRR
    and its movements follow `mrr_movements` over the clients' retainers,
    which are read (one per contract, few beside the orders): from the day
    before the month to its last day, or to today for the current month.

    With *reporting_currency* and *rates* (an `ExchangeRates` you supply)
    there is one row a month, in the reporting currency: orders in another
    currency are read and each one's revenue converted at its local order
    date, retainers' MRR at each date measured, each rounded to the minor
    unit before it is summed (see docs/metrics.md).
    """
    reporting = _reporting(reporting_currency, rates)
    if reporting is not None and rates is not None:
        return _converted(crm, months, business, reporting, rates)
    zone = business_zone(crm, business)
    firsts = last_months(crm, months, zone)
    today = crm.clock.now().astimezone(zone).date()
    by_currency: dict[str, list[Retainer]] = {}
    for retainer in _retainers(crm):
        by_currency.setdefault(retainer.terms.fee.currency.code, []).append(retainer)
    orders = crm.repository(Order)
    rows = []
    for first in firsts:
        start, end = month_bounds(first, zone)
        bought = {
            str(g.key[0]): (int(g.values["count"]), g.values["sum(revenue_amount)"] or 0)  # type: ignore[arg-type]
            for g in orders.aggregate(
                ("placed_at", "ge", start),
                ("placed_at", "lt", end),
                ("status", "in", _COUNTED),
                measures=["count", ("sum", "revenue_amount")],
                group_by=["revenue_currency"],
            )
        }
        last = min(first + relativedelta(months=1) - timedelta(days=1), today)
        for code in sorted(bought.keys() | by_currency.keys()):
            count, total = bought.get(code, (0, 0))
            held = by_currency.get(code)
            moves = None
            if held and last >= first - timedelta(days=1):
                moves = mrr_movements(held, first - timedelta(days=1), last, code)
            if not count and (
                moves is None or (not moves.starting.amount and not moves.ending.amount)
            ):
                continue
            rows.append(
                RevenueMonth(
                    month=first,
                    currency=code,
                    orders=count,
                    purchase_revenue=Money(total, code).round(),
                    movements=moves,
                )
            )
    return RevenueReport(months=firsts, rows=tuple(rows))


def _converted(
    crm: CRM, months: int, business: str, currency: str, rates: ExchangeRates
) -> RevenueReport:
    zone = business_zone(crm, business)
    firsts = last_months(crm, months, zone)
    today = crm.clock.now().astimezone(zone).date()
    held = list(_retainers(crm))
    orders = crm.repository(Order)
    rows = []
    for first in firsts:
        start, end = month_bounds(first, zone)
        window = (("placed_at", "ge", start), ("placed_at", "lt", end), ("status", "in", _COUNTED))
        count, total = 0, Money.zero(currency)
        for g in orders.aggregate(
            *window, measures=["count", ("sum", "revenue_amount")], group_by=["revenue_currency"]
        ):
            code = str(g.key[0])
            count += int(g.values["count"])  # type: ignore[arg-type]
            if code == currency:
                total += Money(g.values["sum(revenue_amount)"] or 0, code).round()
                continue
            for order in orders.iterate(*window, revenue_currency=code):
                day = order.placed_at.astimezone(zone).date()
                total += rates.convert(order_revenue(order), currency, day)
        last = min(first + relativedelta(months=1) - timedelta(days=1), today)
        moves = None
        if held and last >= first - timedelta(days=1):
            moves = mrr_movements(held, first - timedelta(days=1), last, currency, rates=rates)
        if not count and (moves is None or (not moves.starting.amount and not moves.ending.amount)):
            continue
        rows.append(
            RevenueMonth(
                month=first,
                currency=currency,
                orders=count,
                purchase_revenue=total,
                movements=moves,
            )
        )
    return RevenueReport(months=firsts, rows=tuple(rows))
