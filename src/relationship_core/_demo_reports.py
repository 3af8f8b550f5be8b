"""The demo's last chapter: the dashboard, computed by the store's aggregates over the story.

The reports are computed while the story's store is open (`prepare_dashboard`)
and told after the read-back (`reports_chapter`), so the chapter stays last
whatever chapters come before it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import attrs

from relationship_core._lifecycle.forecast import Period
from relationship_core._reports.cohorts import retention_cohorts
from relationship_core._reports.csat import csat_report
from relationship_core._reports.revenue import revenue_report
from relationship_core._reports.sales import sales_report
from relationship_core._reports.workload import workload_report

if TYPE_CHECKING:
    from relationship_core._demo_story import _Story

__all__ = ["Dashboard", "prepare_dashboard", "reports_chapter"]

_YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


@attrs.frozen
class Dashboard:
    """The chapter's lines, computed while the store was open."""

    lines: tuple[str, ...]


def _indented(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]


def prepare_dashboard(story: _Story) -> Dashboard:
    """The reports of the story's store at its clock (the April after the year)."""
    from relationship_core._demo_story import BUSINESS

    crm = story.crm
    now = crm.clock.now()
    months = (now.year - 2026) * 12 + now.month  # January 2026 to this month
    lines = ["  Counted and summed by the store's GROUP BY (MRR from the retainer's terms):", ""]
    lines += _indented(sales_report(crm, _YEAR, business=BUSINESS).to_text())
    lines.append("  (cycle: from opening the deal to winning it)")
    lines.append("")
    workload = workload_report(crm, business=BUSINESS)
    lines += _indented(workload.to_text())
    lines.append(
        "  (weighted: urgent 4, high 3, normal 2, low 1; the report tasks have no assignee)"
    )
    lines.append("")
    lines += _indented(csat_report(crm, "agent", months=6, business=BUSINESS).to_text())
    lines.append("  (csat: the share of 4-5 answers)")
    lines.append("")
    revenue = revenue_report(crm, months=months, business=BUSINESS)
    lines += _indented(revenue.to_text())
    lines.append(
        "  (purchases: orders net of refunds, before tax; MRR: the retainer, at month end;"
    )
    lines.append("   ARR = MRR x 12; new/expansion/churn: how MRR moved during the month)")
    cohorts = retention_cohorts(crm, months=months, business=BUSINESS)
    for row in cohorts.rows:
        last = len(row.active) - 1
        kept = row.active[min(11, last)]
        lines.append(
            f"  cohort {row.cohort:%Y-%m}: {row.customers} customers' first orders; "
            f"{kept} still ordering {min(11, last)} months later"
        )
    lines.append("")
    lines.append("  The same as tables and plots: relationship-core report URL --html report.html")
    return Dashboard(tuple(lines))


def reports_chapter(story: _Story, dashboard: Dashboard) -> None:
    """Tell the dashboard chapter (numbered 12, the last)."""
    from relationship_core._demo_story import _heading

    _heading(story.write, "12. The dashboard: sales, workload, CSAT, revenue, cohorts")
    for line in dashboard.lines:
        story.write(line)
