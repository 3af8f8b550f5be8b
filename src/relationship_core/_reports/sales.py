"""The sales performance report: deals won and lost per rep in a period, by the store's sums."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from fractions import Fraction
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.money import Money
from relationship_core._lifecycle.forecast import Period
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.service import LifecycleService
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)
from relationship_core.exceptions import ValidationError

__all__ = ["SalesReport", "SalesRow", "sales_report"]


@attrs.frozen(kw_only=True)
class SalesRow:
    """One rep's closed deals in the period.

    Attributes:
        owner: The rep (the deals' owner).
        won: Deals won.
        lost: Deals lost.
        revenue_won: The won deals' amounts, one `Money` per currency (sorted by code).
        cycle_deals: Won deals whose opening time is stored (``opened_at``).
        average_cycle: Mean time from opening to winning over those; ``None`` with none.
    """

    owner: str
    won: int
    lost: int
    revenue_won: tuple[Money, ...]
    cycle_deals: int
    average_cycle: timedelta | None

    @property
    def win_rate(self) -> Fraction | None:
        """``won / (won + lost)``; ``None`` with no closed deal."""
        closed = self.won + self.lost
        return Fraction(self.won, closed) if closed else None


@attrs.frozen(kw_only=True)
class SalesReport:
    """Deals closed in a period, per rep.

    Attributes:
        period: The local days whose closes count.
        rows: One per rep with a closed deal, by name.
    """

    period: Period
    rows: tuple[SalesRow, ...]

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = f"Sales per rep, closed {self.period.start} to {self.period.end}"
        columns = ["owner", "won", "lost", "win rate", "revenue won", "avg cycle"]
        rows: list[list[object]] = [
            [
                r.owner,
                r.won,
                r.lost,
                "-" if r.win_rate is None else f"{float(r.win_rate):.0%}",
                ", ".join(_show(m) for m in r.revenue_won) or "-",
                _days(r.average_cycle),
            ]
            for r in self.rows
        ]
        return title, columns, rows

    def to_text(self) -> str:
        """The report as a terminal table."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per rep and currency won (needs the analytics extra)."""
        pandas = require_pandas()
        records: list[dict[str, object]] = []
        for r in self.rows:
            base = {
                "owner": r.owner,
                "won": r.won,
                "lost": r.lost,
                "win_rate": None if r.win_rate is None else float(r.win_rate),
                "average_cycle": r.average_cycle,
            }
            records.extend(
                {
                    **base,
                    "currency": None if money is None else money.currency.code,
                    "revenue_won": None if money is None else money.amount,
                }
                for money in r.revenue_won or (None,)
            )
        columns = ["owner", "won", "lost", "win_rate", "currency", "revenue_won", "average_cycle"]
        return pandas.DataFrame.from_records(records, columns=columns)

    def plot(self) -> Any:
        """Won and lost deals per rep, the win rate above each (needs the analytics extra)."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        names = [r.owner for r in self.rows]
        won = [r.won for r in self.rows]
        axes.bar(names, won, label="won", color="tab:green")
        axes.bar(names, [r.lost for r in self.rows], bottom=won, label="lost", color="tab:red")
        for n, r in enumerate(self.rows):
            if r.win_rate is not None:
                axes.annotate(f"{float(r.win_rate):.0%}", (n, r.won + r.lost), ha="center")
        axes.set_title(f"Deals closed {self.period.start} to {self.period.end}")
        axes.legend()
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _show(money: Money) -> str:
    return f"{money.amount:.2f} {money.currency.code}"


def _days(delta: timedelta | None) -> str:
    return "-" if delta is None else f"{delta.total_seconds() / 86400:.1f} d"


def sales_report(
    crm: CRM, period: Period | None = None, *, business: str = DEFAULT_BUSINESS
) -> SalesReport:
    """Per rep: deals won and lost in *period*, win rate, revenue won per currency, mean cycle.

    A deal counts in the period when it was closed (won or lost) on one of
    its local days in *business*'s time zone; *period* defaults to the
    current quarter there. The cycle is the time from opening to winning,
    over won deals only. Two aggregate statements: closed deals per owner,
    status and currency (count, sum of amounts) and won deals per owner
    (count and sum of their cycles, in whole seconds).

    Raises:
        ValidationError: a bad period.
    """
    service = LifecycleService(crm, business=business)
    zone = service.time_zone
    if period is None:
        period = Period.this_quarter(crm.clock.now(), zone)
    if not isinstance(period, Period):
        raise ValidationError("period", period, "expected a Period, e.g. Period.between(a, b)")
    start = datetime.combine(period.start, time(), zone)
    end = datetime.combine(period.end + timedelta(days=1), time(), zone)
    deals = crm.repository(Opportunity)
    window = (("closed_at", "ge", start), ("closed_at", "lt", end))
    counts: dict[str, dict[str, int]] = {}
    revenue: dict[str, list[Money]] = {}
    for group in deals.aggregate(
        *window,
        ("status", "in", ["won", "lost"]),
        measures=["count", ("sum", "amount_amount")],
        group_by=["owner", "status", "amount_currency"],
    ):
        owner, status, currency = (str(k) for k in group.key)
        per = counts.setdefault(owner, {"won": 0, "lost": 0})
        per[status] += int(group.values["count"])  # type: ignore[arg-type]
        if status == "won":
            total = group.values["sum(amount_amount)"] or 0
            revenue.setdefault(owner, []).append(Money(total, currency).round())
    cycles = {
        str(g.key[0]): (int(g.values["count"]), int(g.values["sum(cycle_seconds)"] or 0))  # type: ignore[arg-type]
        for g in deals.aggregate(
            *window,
            ("cycle_seconds", "ge", 0),
            status="won",
            measures=["count", ("sum", "cycle_seconds")],
            group_by=["owner"],
        )
    }
    rows = []
    for owner in sorted(counts):
        known, seconds = cycles.get(owner, (0, 0))
        rows.append(
            SalesRow(
                owner=owner,
                won=counts[owner]["won"],
                lost=counts[owner]["lost"],
                revenue_won=tuple(sorted(revenue.get(owner, []), key=lambda m: m.currency.code)),
                cycle_deals=known,
                average_cycle=timedelta(seconds=seconds / known) if known else None,
            )
        )
    return SalesReport(period=period, rows=tuple(rows))
