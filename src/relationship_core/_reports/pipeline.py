"""The weighted pipeline report: open deals expected to close in a period, by the store's sums."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.money import Money
from relationship_core._lifecycle.forecast import Period, currency_totals
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

__all__ = ["PIPELINE_GROUPINGS", "PipelineReport", "PipelineReportRow", "pipeline_report"]

#: The fields a pipeline report can be grouped by (always also by currency).
PIPELINE_GROUPINGS: tuple[str, ...] = ("pipeline", "stage", "owner")

_COLUMNS = ("currency", "deals", "weighted", "unweighted")


@attrs.frozen(kw_only=True)
class PipelineReportRow:
    """One group of one currency.

    Attributes:
        group: The grouping fields' values, in the order asked for.
        currency: The ISO code; currencies are never added together.
        count: How many open deals.
        weighted: Sum of amount x probability (each deal's to the millionth).
        unweighted: Sum of amount.
    """

    group: tuple[str, ...]
    currency: str
    count: int
    weighted: Money
    unweighted: Money


@attrs.frozen(kw_only=True)
class PipelineReport:
    """The weighted pipeline of a period, per group and currency.

    Attributes:
        period: The days whose expected closes count (local to the business).
        by: The grouping fields.
        rows: One per group and currency, ordered by group then currency.
    """

    period: Period
    by: tuple[str, ...]
    rows: tuple[PipelineReportRow, ...]

    def totals(self) -> dict[str, PipelineReportRow]:
        """One row per currency over every group."""
        return currency_totals(self.rows)

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = f"Weighted pipeline, {self.period.start} to {self.period.end}"
        columns = [*self.by, *_COLUMNS]
        rows: list[list[object]] = [
            [*r.group, r.currency, r.count, _show(r.weighted), _show(r.unweighted)]
            for r in self.rows
        ]
        return title, columns, rows

    def to_text(self) -> str:
        """The report as a terminal table."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per group and currency (needs the analytics extra)."""
        pandas = require_pandas()
        records = [
            {
                **dict(zip(self.by, r.group, strict=True)),
                "currency": r.currency,
                "count": r.count,
                "weighted": r.weighted.amount,
                "unweighted": r.unweighted.amount,
            }
            for r in self.rows
        ]
        return pandas.DataFrame.from_records(
            records, columns=[*self.by, "currency", "count", "weighted", "unweighted"]
        )

    def plot(self) -> Any:
        """A bar chart per currency, weighted beside unweighted (needs the analytics extra)."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        labels = [" / ".join((*r.group, r.currency)) or r.currency for r in self.rows]
        positions = range(len(self.rows))
        axes.bar(
            [p - 0.2 for p in positions],
            [float(r.unweighted.amount) for r in self.rows],
            width=0.4,
            label="unweighted",
        )
        axes.bar(
            [p + 0.2 for p in positions],
            [float(r.weighted.amount) for r in self.rows],
            width=0.4,
            label="weighted",
        )
        axes.set_xticks(list(positions), labels, rotation=30, ha="right")
        axes.set_title(f"Pipeline {self.period.start} to {self.period.end}")
        axes.legend()
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _show(money: Money) -> str:
    return f"{money.amount.quantize(Decimal('0.01'))} {money.currency.code}"


def pipeline_report(
    crm: CRM,
    period: Period | None = None,
    *,
    by: Sequence[str] = ("pipeline", "stage", "owner"),
    business: str = DEFAULT_BUSINESS,
) -> PipelineReport:
    """The open deals expected to close in *period*, summed by the store, per group and currency.

    *period* defaults to the next quarter in *business*'s time zone (UTC when
    that business is not stored). One aggregate statement: count, the sum
    of ``amount`` and of ``weighted`` (amount x probability, kept per deal
    to the millionth) grouped by *by* and currency. Closed deals are left out.

    Raises:
        ValidationError: a bad store, period or grouping.
    """
    service = LifecycleService(crm, business=business)
    if period is None:
        period = service.next_quarter()
    if not isinstance(period, Period):
        raise ValidationError("period", period, "expected a Period, e.g. Period.between(a, b)")
    fields = (by,) if isinstance(by, str) else tuple(by) if isinstance(by, Sequence) else None
    if (
        fields is None
        or any(f not in PIPELINE_GROUPINGS for f in fields)
        or len(set(fields)) != len(fields)
    ):
        raise ValidationError("by", by, f"expected distinct names among {PIPELINE_GROUPINGS}")
    groups = crm.repository(Opportunity).aggregate(
        ("expected_close", "ge", period.start),
        ("expected_close", "le", period.end),
        status="open",
        measures=["count", ("sum", "amount_amount"), ("sum", "weighted")],
        group_by=[*fields, "amount_currency"],
    )
    rows = []
    for group in groups:
        *keys, currency = (str(k) for k in group.key)
        rows.append(
            PipelineReportRow(
                group=tuple(keys),
                currency=currency,
                count=int(group.values["count"]),  # type: ignore[arg-type]
                weighted=Money(group.values["sum(weighted)"] or 0, currency),
                unweighted=Money(group.values["sum(amount_amount)"] or 0, currency),
            )
        )
    return PipelineReport(period=period, by=fields, rows=tuple(rows))
