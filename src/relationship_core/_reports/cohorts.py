"""Retention cohorts: customers by the month of their first order, and who bought again later."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._reports._months import business_zone, last_months, month_bounds
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)

__all__ = ["CohortReport", "CohortRow", "retention_cohorts"]

_COUNTED = [s.value for s in OrderStatus if s is not OrderStatus.CANCELLED]


@attrs.frozen(kw_only=True)
class CohortRow:
    """The customers whose first order fell in one local month.

    Attributes:
        cohort: The month's first local day.
        customers: How many.
        active: How many of them ordered in the cohort's month, the next, and so on
            up to the report's last month (``active[0] == customers``).
    """

    cohort: date
    customers: int
    active: tuple[int, ...]

    def retention(self, offset: int) -> Fraction | None:
        """The share of the cohort ordering *offset* months later (``None`` beyond the report)."""
        if not 0 <= offset < len(self.active) or not self.customers:
            return None
        return Fraction(self.active[offset], self.customers)


@attrs.frozen(kw_only=True)
class CohortReport:
    """Monthly retention cohorts.

    Attributes:
        months: The months covered, oldest first.
        rows: One per month with first orders, oldest first.
    """

    months: tuple[date, ...]
    rows: tuple[CohortRow, ...]

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = (
            f"Retention cohorts (first order), {self.months[0]:%Y-%m} to {self.months[-1]:%Y-%m}"
        )
        width = max((len(r.active) for r in self.rows), default=1)
        columns = ["cohort", "customers", *(f"m{n}" for n in range(width))]
        rows: list[list[object]] = [
            [f"{r.cohort:%Y-%m}", r.customers]
            + [_pct(r.retention(n)) if n < len(r.active) else "" for n in range(width)]
            for r in self.rows
        ]
        return title, columns, rows

    def to_text(self) -> str:
        """The report as a terminal table (``mN``: share still ordering N months later)."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, a row per cohort, a column per month offset (analytics extra)."""
        pandas = require_pandas()
        records = [
            {
                "cohort": r.cohort,
                "customers": r.customers,
                **{f"m{n}": float(r.retention(n) or 0) for n in range(len(r.active))},
            }
            for r in self.rows
        ]
        return pandas.DataFrame.from_records(records)

    def plot(self) -> Any:
        """The cohort triangle as a heat map (needs the analytics extra)."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        width = max((len(r.active) for r in self.rows), default=1)
        grid = [
            [float(r.retention(n)) if n < len(r.active) else float("nan") for n in range(width)]  # type: ignore[arg-type]
            for r in self.rows
        ]
        cmap = plt.get_cmap("Blues").with_extremes(bad="#dddddd")  # after the report's end
        image = axes.imshow(grid or [[float("nan")]], cmap=cmap, vmin=0, vmax=1, aspect="auto")
        axes.set_yticks(range(len(self.rows)), [f"{r.cohort:%Y-%m}" for r in self.rows])
        axes.set_xlabel("months after the first order")
        axes.set_title("Retention cohorts")
        figure.colorbar(image, ax=axes)
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _pct(value: Fraction | None) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def retention_cohorts(
    crm: CRM, *, months: int = 12, business: str = DEFAULT_BUSINESS
) -> CohortReport:
    """Customers grouped by the local month of their first order, and who ordered again.

    A customer is a party with an order that is not cancelled; their cohort
    is the month (in *business*'s time zone) of their first such order,
    ever; only cohorts inside the last *months* months are shown. A cohort
    member is active in a month when they placed an order in it. The store
    sums per customer (the first order per party, one statement; the parties
    ordering in each month, one statement a month): rows per customer, never
    per order.
    """
    zone = business_zone(crm, business)
    firsts = last_months(crm, months, zone)
    orders = crm.repository(Order)
    cohort_of: dict[str, date] = {}
    for group in orders.aggregate(
        ("status", "in", _COUNTED), measures=[("min", "placed_at")], group_by=["party_id"]
    ):
        first = group.values["min(placed_at)"]
        if isinstance(first, datetime):
            month = first.astimezone(zone).date().replace(day=1)
            if month >= firsts[0]:
                cohort_of[str(group.key[0])] = month
    active: dict[date, set[str]] = {}
    for first in firsts:
        start, end = month_bounds(first, zone)
        active[first] = {
            str(g.key[0])
            for g in orders.aggregate(
                ("placed_at", "ge", start),
                ("placed_at", "lt", end),
                ("status", "in", _COUNTED),
                measures=["count"],
                group_by=["party_id"],
            )
        }
    rows = []
    for n, cohort in enumerate(firsts):
        members = {p for p, m in cohort_of.items() if m == cohort}
        if members:
            counts = tuple(len(members & active[m]) for m in firsts[n:])
            rows.append(CohortRow(cohort=cohort, customers=len(members), active=counts))
    return CohortReport(months=firsts, rows=tuple(rows))
