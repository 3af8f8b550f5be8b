"""Revenue metrics: MRR, ARR, MRR movements, churn, retention, revenue per account.

**The one definition of MRR.** An account's monthly recurring revenue on a
local date is the per-period fee of each of its retainers that is in service
and not paused that day, normalised to a month, summed:

* monthly cycles: ``fee / months per period`` (quarterly: fee / 3, yearly: fee / 12);
* weekly cycles: ``fee * 52 / 12 / weeks per period`` (a year is 52 weeks);
* each retainer's figure is rounded half-even to the currency's minor unit,
  so every total below is an exact sum of cents;
* net of discounts (a retainer's fee is the price actually charged), excluding
  taxes, and excluding one-off charges: prorations, credits, true-ups and
  overage hours are billed but are not recurring revenue;
* trial days have no MRR (a trial's price is a one-off charge); MRR starts
  on the first paid day.

ARR is MRR x 12. Movements compare each account's MRR on two dates, so they
reconcile exactly: ``starting + new + expansion + reactivation - contraction
- churn == ending``.

**A reporting currency.** Every metric is in one *currency*. Without
``rates`` only figures in that currency count (others are refused, or left
out where documents are filtered). With ``rates=`` (an `ExchangeRates` the
caller supplies; nothing is fetched) *currency* is the reporting currency
and every figure in another currency is converted **one by one** - each
retainer's MRR at the date measured, each invoice's subtotal at its issue
date, each order's revenue at its local order date - and rounded to the
reporting currency's minor unit (half even) before it is summed. A missing
rate is a `ValidationError` naming the pair and the date. Movements convert
each date's MRR at that date's rate, so a rate change shows as expansion or
contraction of the accounts billed in the other currency.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from relationship_core._billing._checks import require_instance
from relationship_core._billing.cycles import CycleUnit
from relationship_core._billing.invoices import Invoice, InvoiceStatus
from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._billing.rates import ExchangeRates, require_rates
from relationship_core._billing.retainer import Retainer
from relationship_core._billing.schedule import BillingPeriod
from relationship_core._domain.currency import Currency
from relationship_core._domain.money import _QUANTUM, Money
from relationship_core._domain.timeutil import require_date, to_zone
from relationship_core._domain.validators import tuple_of
from relationship_core.exceptions import ValidationError

__all__ = [
    "MrrMovements",
    "annual_recurring_revenue",
    "average_revenue_per_account",
    "gross_revenue_retention",
    "logo_churn_rate",
    "monthly_recurring_revenue",
    "mrr_by_account",
    "mrr_movements",
    "net_revenue_retention",
    "order_revenue",
    "purchase_revenue",
    "purchase_revenue_by_period",
    "retainer_mrr",
    "revenue_churn_rate",
    "revenue_per_account",
]


def _currency(value: Currency | str) -> Currency:
    return Currency.of(value)


def retainer_mrr(retainer: Retainer, on: date) -> Money:
    """One retainer's MRR on local date *on* (zero when not in service or paused)."""
    require_instance("retainer", retainer, Retainer)
    require_date("on", on)
    currency = retainer.terms.fee.currency
    if not retainer.is_billable_on(on) or retainer.in_trial_on(on):
        return Money.zero(currency)
    fee = retainer.fee_on(on).amount
    cycle = retainer.terms.cycle
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        if cycle.unit is CycleUnit.MONTH:
            monthly = fee / cycle.count
        else:
            monthly = fee * cycle.WEEKS_PER_YEAR / (cycle.MONTHS_PER_YEAR * cycle.count)
    quantum = _QUANTUM[currency.minor_units]
    return Money._make(monthly.quantize(quantum, rounding=decimal.ROUND_HALF_EVEN), currency)


def _in(money: Money, currency: Currency, on: date, rates: ExchangeRates | None) -> Money:
    # *money* in the reporting currency, converted and rounded on its own.
    if money.currency == currency or rates is None:
        return money
    return rates.convert(money, currency, on)


def _checked(
    retainers: Iterable[Retainer], currency: Currency, rates: ExchangeRates | None = None
) -> tuple[Retainer, ...]:
    items = tuple_of("retainers", Retainer, retainers)
    if require_rates(rates) is not None:
        return items
    for i, retainer in enumerate(items):
        if retainer.terms.fee.currency != currency:
            raise ValidationError(
                f"retainers[{i}].terms.fee",
                retainer.terms.fee,
                f"metrics are per currency; pass only {currency.code} retainers",
            )
    return items


def mrr_by_account(
    retainers: Iterable[Retainer],
    on: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> dict[str, Money]:
    """MRR per party on *on*; accounts with no MRR are left out.

    With *rates*, *currency* is the reporting currency: each retainer's MRR
    is converted at *on*'s rate and rounded before it is added.
    """
    require_date("on", on)
    cur = _currency(currency)
    result: dict[str, Money] = {}
    for retainer in _checked(retainers, cur, rates):
        amount = _in(retainer_mrr(retainer, on), cur, on, rates)
        if amount.amount:
            result[retainer.party_id] = result.get(retainer.party_id, Money.zero(cur)) + amount
    return result


def monthly_recurring_revenue(
    retainers: Iterable[Retainer],
    on: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> Money:
    """Total MRR on *on* in *currency* (the reporting currency, with *rates*)."""
    cur = _currency(currency)
    return sum(mrr_by_account(retainers, on, cur, rates=rates).values(), Money.zero(cur))


def annual_recurring_revenue(
    retainers: Iterable[Retainer],
    on: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> Money:
    """ARR: MRR x 12."""
    return monthly_recurring_revenue(retainers, on, currency, rates=rates) * 12


def average_revenue_per_account(
    retainers: Iterable[Retainer],
    on: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> Money | None:
    """ARPA: MRR divided by the accounts with MRR (``None`` when there are none).

    Rounded half-even to the minor unit.
    """
    accounts = mrr_by_account(retainers, on, currency, rates=rates)
    if not accounts:
        return None
    total = sum(accounts.values(), Money.zero(currency))
    return (total / len(accounts)).round()


@attrs.frozen
class MrrMovements:
    """How MRR moved between two dates, per kind of movement.

    Contraction and churn are given as positive amounts that are subtracted.

    Attributes:
        start_on: The first date.
        end_on: The second date.
        starting: MRR on *start_on*.
        new: MRR of accounts with none on *start_on* that never had a
            retainer before it.
        expansion: Increases of accounts with MRR on both dates.
        contraction: Decreases of accounts with MRR on both dates.
        churn: MRR on *start_on* of accounts with none on *end_on*.
        reactivation: MRR of accounts with none on *start_on* that had a
            retainer before it.
        ending: MRR on *end_on*.
        churned_accounts: Parties counted in *churn*.
        starting_accounts: Parties with MRR on *start_on*.
    """

    start_on: date
    end_on: date
    starting: Money
    new: Money
    expansion: Money
    contraction: Money
    churn: Money
    reactivation: Money
    ending: Money
    churned_accounts: frozenset[str] = frozenset()
    starting_accounts: frozenset[str] = frozenset()

    @property
    def net_new(self) -> Money:
        """``new + expansion + reactivation - contraction - churn``."""
        return self.new + self.expansion + self.reactivation - self.contraction - self.churn

    @property
    def reconciles(self) -> bool:
        """Whether ``starting + net_new == ending`` (it always should)."""
        return self.starting + self.net_new == self.ending


def mrr_movements(
    retainers: Iterable[Retainer],
    start_on: date,
    end_on: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> MrrMovements:
    """Compare each account's MRR on *start_on* and *end_on* and classify the change.

    Changes inside the interval that cancel out (an upgrade undone before
    *end_on*) do not show; use shorter intervals for finer movements. With
    *rates*, each date's MRR is converted at that date's rate.
    """
    require_date("start_on", start_on)
    require_date("end_on", end_on)
    if end_on < start_on:
        raise ValidationError("end_on", end_on, f"must not be before start_on={start_on}")
    cur = _currency(currency)
    items = _checked(retainers, cur, rates)
    before = mrr_by_account(items, start_on, cur, rates=rates)
    after = mrr_by_account(items, end_on, cur, rates=rates)
    earlier = {r.party_id for r in items if r.starts_on < start_on}
    zero = Money.zero(cur)
    new = expansion = contraction = churn = reactivation = zero
    churned: set[str] = set()
    for party in sorted(before.keys() | after.keys()):
        was, now = before.get(party, zero), after.get(party, zero)
        if not was.amount:
            if party in earlier:
                reactivation += now
            else:
                new += now
        elif not now.amount:
            churn += was
            churned.add(party)
        elif now > was:
            expansion += now - was
        else:
            contraction += was - now
    return MrrMovements(
        start_on=start_on,
        end_on=end_on,
        starting=sum(before.values(), zero),
        new=new,
        expansion=expansion,
        contraction=contraction,
        churn=churn,
        reactivation=reactivation,
        ending=sum(after.values(), zero),
        churned_accounts=frozenset(churned),
        starting_accounts=frozenset(before),
    )


def _ratio(numerator: Money, denominator: Money) -> Decimal | None:
    if not denominator.amount:
        return None
    return numerator.amount / denominator.amount


def logo_churn_rate(movements: MrrMovements) -> Decimal | None:
    """Churned accounts / accounts with MRR at the start (``None`` with none)."""
    require_instance("movements", movements, MrrMovements)
    if not movements.starting_accounts:
        return None
    return Decimal(len(movements.churned_accounts)) / len(movements.starting_accounts)


def revenue_churn_rate(movements: MrrMovements) -> Decimal | None:
    """Gross MRR churn: ``(churn + contraction) / starting``."""
    require_instance("movements", movements, MrrMovements)
    return _ratio(movements.churn + movements.contraction, movements.starting)


def net_revenue_retention(movements: MrrMovements) -> Decimal | None:
    """NRR: ``(starting + expansion - contraction - churn) / starting``.

    New and reactivated accounts are not in the starting cohort, so they are left out.
    """
    m = require_instance("movements", movements, MrrMovements)
    return _ratio(m.starting + m.expansion - m.contraction - m.churn, m.starting)


def gross_revenue_retention(movements: MrrMovements) -> Decimal | None:
    """GRR: ``(starting - contraction - churn) / starting`` (never above 1)."""
    m = require_instance("movements", movements, MrrMovements)
    return _ratio(m.starting - m.contraction - m.churn, m.starting)


def revenue_per_account(
    invoices: Iterable[Invoice],
    start: date,
    end: date,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> dict[str, Money]:
    """Invoiced revenue per party: subtotals (before tax) of invoices issued in ``[start, end)``.

    Drafts and void invoices are left out; credit notes are not subtracted
    (subtract them from the result if you need net revenue). Without
    *rates* only invoices in *currency* count; with them every invoice does,
    its subtotal converted at its issue date's rate and rounded.
    """
    require_date("start", start)
    require_date("end", end)
    cur = _currency(currency)
    result: dict[str, Money] = {}
    require_rates(rates)
    for invoice in tuple_of("invoices", Invoice, invoices):
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            continue
        issued = invoice.issued_on
        if issued is None or not start <= issued < end:
            continue
        if invoice.currency != cur and rates is None:
            continue
        amount = _in(invoice.subtotal, cur, issued, rates)
        result[invoice.party_id] = result.get(invoice.party_id, Money.zero(cur)) + amount
    return result


def _refunded_net(order: Order) -> Money:
    refunded = order.refunded
    total = order.total
    if not refunded.amount or not total.amount:
        return Money.zero(order.currency)
    return (order.subtotal * refunded.amount / total.amount).round()


def order_revenue(order: Order) -> Money:
    """One order's purchase revenue: subtotal net of its refunded share; zero if cancelled.

    The figure `purchase_revenue` sums (the store indexes it per order as ``revenue``).
    """
    require_instance("order", order, Order)
    if order.status is OrderStatus.CANCELLED:
        return Money.zero(order.currency)
    return order.subtotal - _refunded_net(order)


def purchase_revenue(
    orders: Iterable[Order],
    start: date,
    end: date,
    zone: ZoneInfo | str,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> Money:
    """Revenue from orders placed on local dates ``[start, end)`` in *zone*.

    Net of discounts and refunds (the refunded share of the subtotal), before
    tax; cancelled orders count nothing. Without *rates* only orders in
    *currency* count; with them every order does, its revenue converted at
    its local order date's rate and rounded.
    """
    require_date("start", start)
    require_date("end", end)
    tz = to_zone("zone", zone)
    cur = _currency(currency)
    require_rates(rates)
    total = Money.zero(cur)
    for order in tuple_of("orders", Order, orders):
        if order.status is OrderStatus.CANCELLED:
            continue
        if order.currency != cur and rates is None:
            continue
        day = order.placed_at.astimezone(tz).date()
        if start <= day < end:
            total += _in(order.subtotal - _refunded_net(order), cur, day, rates)
    return total


def purchase_revenue_by_period(
    orders: Iterable[Order],
    periods: Sequence[BillingPeriod],
    zone: ZoneInfo | str,
    currency: Currency | str,
    *,
    rates: ExchangeRates | None = None,
) -> list[tuple[BillingPeriod, Money]]:
    """`purchase_revenue` for each of *periods* (e.g. ``schedule.periods(0, 12)``)."""
    items = tuple_of("orders", Order, orders)
    return [
        (p, purchase_revenue(items, p.start, p.end, zone, currency, rates=rates))
        for p in tuple_of("periods", BillingPeriod, periods)
    ]
