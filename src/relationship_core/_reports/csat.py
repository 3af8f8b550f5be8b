"""The CSAT report: answered surveys per local month and team, agent or product, counted by the store."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.validators import to_enum
from relationship_core._reports._months import business_zone, last_months, month_bounds
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)
from relationship_core._support.csat import CsatDefinition, Survey
from relationship_core.exceptions import ValidationError

__all__ = ["CSAT_GROUPINGS", "CsatReport", "CsatReportRow", "csat_report"]

#: What a CSAT report can be grouped by (besides the month).
CSAT_GROUPINGS: tuple[str, ...] = ("team", "agent", "product")


@attrs.frozen(kw_only=True)
class CsatReportRow:
    """The answers of one local month and one group.

    Attributes:
        month: The month's first local day.
        group: The team, agent or product (``None``: the ticket had none).
        scores: How many answers scored 1, 2, 3, 4 and 5 (in that order).
    """

    month: date
    group: str | None
    scores: tuple[int, int, int, int, int]

    @property
    def answers(self) -> int:
        """How many answers."""
        return sum(self.scores)

    def csat(
        self, definition: CsatDefinition | str = CsatDefinition.SATISFIED_SHARE
    ) -> Fraction | None:
        """The CSAT of these answers under *definition* (as `relationship_core.csat` gives)."""
        how = to_enum(CsatDefinition, "definition", definition)
        one, two, three, four, five = self.scores
        total, good, bad = self.answers, four + five, one + two
        if how in (CsatDefinition.SATISFIED_SHARE, CsatDefinition.ODOO):
            return Fraction(good, total) if total else None
        if how is CsatDefinition.ZENDESK:
            return Fraction(good, good + bad) if good + bad else None
        if how is CsatDefinition.ODOO_AVERAGE:
            return Fraction(5 * good + 3 * three + bad, total) if total else None
        weighted = one + 2 * two + 3 * three + 4 * four + 5 * five
        return Fraction(weighted, total) if total else None


@attrs.frozen(kw_only=True)
class CsatReport:
    """CSAT per local month and group.

    Attributes:
        by: The grouping (one of `CSAT_GROUPINGS`).
        definition: The definition `to_text`, frames and plots use.
        months: The months covered, oldest first (first local days).
        rows: One per month and group with answers, by month then group.
    """

    by: str
    definition: CsatDefinition
    months: tuple[date, ...]
    rows: tuple[CsatReportRow, ...]

    def totals(self) -> dict[str | None, CsatReportRow]:
        """One row per group over every month (``month`` is the first month)."""
        out: dict[str | None, list[int]] = {}
        for row in self.rows:
            counts = out.setdefault(row.group, [0] * 5)
            for n, count in enumerate(row.scores):
                counts[n] += count
        first = self.months[0]
        return {
            group: CsatReportRow(month=first, group=group, scores=_five(counts))
            for group, counts in sorted(out.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
        }

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        title = (
            f"CSAT ({self.definition.value}) per {self.by}, "
            f"{self.months[0]:%Y-%m} to {self.months[-1]:%Y-%m}"
        )
        rows: list[list[object]] = [
            [
                f"{r.month:%Y-%m}",
                r.group or "-",
                r.answers,
                *r.scores,
                _show(r.csat(self.definition)),
            ]
            for r in self.rows
        ]
        return title, ["month", self.by, "answers", "1", "2", "3", "4", "5", "csat"], rows

    def to_text(self) -> str:
        """The report as a terminal table."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per month and group (needs the analytics extra)."""
        pandas = require_pandas()
        records = [
            {
                "month": r.month,
                self.by: r.group,
                "answers": r.answers,
                **{f"score_{n}": c for n, c in enumerate(r.scores, start=1)},
                "csat": _float(r.csat(self.definition)),
            }
            for r in self.rows
        ]
        columns = ["month", self.by, "answers", *(f"score_{n}" for n in range(1, 6)), "csat"]
        return pandas.DataFrame.from_records(records, columns=columns)

    def plot(self) -> Any:
        """CSAT over the months, a line per group (needs the analytics extra)."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        groups = sorted({r.group for r in self.rows}, key=lambda g: (g is None, str(g)))
        for group in groups:
            points = [
                (r.month, _float(r.csat(self.definition))) for r in self.rows if r.group == group
            ]
            axes.plot(
                [f"{m:%Y-%m}" for m, _ in points],
                [v for _, v in points],
                marker="o",
                label=group or "(none)",
            )
        axes.set_title(f"CSAT ({self.definition.value}) per {self.by}")
        if groups:
            axes.legend()
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _five(counts: list[int]) -> tuple[int, int, int, int, int]:
    return (counts[0], counts[1], counts[2], counts[3], counts[4])


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _show(value: Fraction | None) -> str:
    return "-" if value is None else f"{float(value):.2f}"


def csat_report(
    crm: CRM,
    by: str = "team",
    *,
    months: int = 6,
    definition: CsatDefinition | str = CsatDefinition.SATISFIED_SHARE,
    business: str = DEFAULT_BUSINESS,
) -> CsatReport:
    """CSAT of the answered surveys per local month (the last *months*, this one included) and *by*.

    A survey counts in the month, in *business*'s time zone, its answer was
    given, under the team, agent or product its ticket had when it was
    resolved. One aggregate statement a month: the answers counted per group
    and score, from which every `CsatDefinition` follows exactly.

    Raises:
        ValidationError: a bad grouping, number of months or definition.
    """
    if by not in CSAT_GROUPINGS:
        raise ValidationError("by", by, f"one of {', '.join(CSAT_GROUPINGS)}")
    how = to_enum(CsatDefinition, "definition", definition)
    zone = business_zone(crm, business)
    firsts = last_months(crm, months, zone)
    surveys = crm.repository(Survey)
    rows: list[CsatReportRow] = []
    for first in firsts:
        start, end = month_bounds(first, zone)
        groups = surveys.aggregate(
            ("answered_at", "ge", start),
            ("answered_at", "lt", end),
            answered=True,
            measures=["count"],
            group_by=[by, "score"],
        )
        per: dict[str | None, list[int]] = {}
        for group in groups:
            name, score = group.key
            counts = per.setdefault(None if name is None else str(name), [0] * 5)
            counts[int(score) - 1] += int(group.values["count"])  # type: ignore[arg-type]
        rows.extend(
            CsatReportRow(month=first, group=name, scores=_five(per[name]))
            for name in sorted(per, key=lambda g: (g is None, str(g)))
        )
    return CsatReport(by=by, definition=how, months=firsts, rows=tuple(rows))
