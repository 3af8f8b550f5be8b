"""Lifetime value per segment: the analytics models (BG/NBD and Gamma-Gamma) over the store's orders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._app.repository import require_store
from relationship_core._billing.orders import Order
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.money import Money
from relationship_core._reports._months import business_zone
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)
from relationship_core.exceptions import MissingExtraError, ValidationError

__all__ = ["LtvReport", "LtvRow", "ltv_report"]


@attrs.frozen(kw_only=True)
class LtvRow:
    """The customers of one segment.

    Attributes:
        segment: The segment's name.
        customers: How many customers.
        total: Their expected revenue over the horizon, summed.
        mean: ``total / customers``.
    """

    segment: str
    customers: int
    total: Money
    mean: Money


@attrs.frozen(kw_only=True)
class LtvReport:
    """Expected revenue per customer over a horizon, by segment, in one currency.

    Attributes:
        currency: The orders' currency.
        months: The horizon, in months.
        rows: One per segment, by name.
    """

    currency: str
    months: int
    rows: tuple[LtvRow, ...]

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = f"Lifetime value over {self.months} months ({self.currency}), per segment"
        rows: list[list[object]] = [
            [r.segment, r.customers, f"{r.total.amount:.2f}", f"{r.mean.amount:.2f}"]
            for r in self.rows
        ]
        return title, ["segment", "customers", "total", "mean"], rows

    def to_text(self) -> str:
        """The report as a terminal table."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per segment."""
        pandas = require_pandas()
        records = [
            {"segment": r.segment, "customers": r.customers, "total": r.total.amount}
            | {"mean": r.mean.amount}
            for r in self.rows
        ]
        return pandas.DataFrame.from_records(
            records, columns=["segment", "customers", "total", "mean"]
        )

    def plot(self) -> Any:
        """Mean lifetime value per segment as bars."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        axes.bar([r.segment for r in self.rows], [float(r.mean.amount) for r in self.rows])
        axes.set_title(f"Mean lifetime value over {self.months} months ({self.currency})")
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _party_kind(crm: CRM) -> Callable[[str], str]:
    def kind(party_id: str) -> str:
        party = crm.parties.find(party_id)
        return "unknown" if party is None else type(party).__name__.lower()

    return kind


def ltv_report(
    crm: CRM,
    currency: str,
    *,
    months: int = 12,
    segment: Callable[[str], str] | None = None,
    business: str = DEFAULT_BUSINESS,
) -> LtvReport:
    """Each customer's expected revenue over the next *months*, summed per segment.

    The analytics extra's models, as in [LTV models](analytics-models.md): a
    BG/NBD model of the repeat purchases and a Gamma-Gamma model of the spend,
    fitted on the customers' orders in *currency* (weekly summary up to now,
    in *business*'s time zone), then `customer_lifetime_value` per customer,
    undiscounted. *segment* names a party's segment (default: its kind,
    ``person`` or ``organisation``). Fitting needs every order of the
    currency, so unlike the other reports this one reads them (the orders'
    indexed revenue currency selects them).

    Raises:
        MissingExtraError: the analytics extra is not installed.
        ValidationError: a bad horizon, or too few repeat buyers to fit.
    """
    require_store("crm", crm)
    if not isinstance(currency, str):
        raise ValidationError("currency", currency, "an ISO code, e.g. 'EUR'")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ValidationError("months", months, "a whole number from 1 to 120")
    if segment is not None and not callable(segment):
        raise ValidationError("segment", segment, "a function of a party id, or None")
    try:
        from relationship_core.analytics import customer_summary, transactions_from_orders
        from relationship_core.analytics.models import (
            BetaGeoModel,
            GammaGammaModel,
            Horizon,
            customer_lifetime_value,
            gamma_gamma_input,
        )
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError("ltv_report()", "analytics", "numpy") from err
    orders = crm.repository(Order).iterate(revenue_currency=currency)
    transactions = transactions_from_orders(orders)
    now = crm.clock.now().astimezone(business_zone(crm, business))
    summary = customer_summary(transactions, time_unit="week", observation_end=now)
    buyers, _left_out = gamma_gamma_input(summary)
    if len(buyers) < 2:
        raise ValidationError("orders", len(buyers), "too few repeat buyers to fit the models")
    values = customer_lifetime_value(
        BetaGeoModel().fit(summary),
        GammaGammaModel().fit(buyers),
        summary,
        Horizon(months, "month"),
    )
    name = segment or _party_kind(crm)
    totals: dict[str, list[Decimal]] = {}
    for party_id, value in values.items():
        totals.setdefault(name(str(party_id)), []).append(Decimal(repr(float(value))))
    rows = []
    for key in sorted(totals):
        total = sum(totals[key], Decimal(0))
        rows.append(
            LtvRow(
                segment=key,
                customers=len(totals[key]),
                total=Money(total, currency).round(),
                mean=Money(total / len(totals[key]), currency).round(),
            )
        )
    return LtvReport(currency=currency, months=months, rows=tuple(rows))
