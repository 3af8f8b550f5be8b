"""Reports over an open store: plain attrs data, ``.to_frame()``, ``_repr_html_`` and plots.

Each report is computed by the store's exact aggregates (one ``GROUP BY``
statement on SQLite and PostgreSQL); money is summed per currency, never
across currencies. pandas and matplotlib (the ``analytics`` extra) are only
imported by ``to_frame()`` and ``plot()``.
"""

from relationship_core._reports import (
    CSAT_GROUPINGS,
    PIPELINE_GROUPINGS,
    PRIORITY_WEIGHTS,
    CohortReport,
    CohortRow,
    CsatReport,
    CsatReportRow,
    LtvReport,
    LtvRow,
    PipelineReport,
    PipelineReportRow,
    RevenueMonth,
    RevenueReport,
    SalesReport,
    SalesRow,
    WorkloadReport,
    WorkloadRow,
    csat_report,
    dashboard,
    ltv_report,
    pipeline_report,
    retention_cohorts,
    revenue_report,
    sales_report,
    workload_report,
)

__all__ = [
    "CSAT_GROUPINGS",
    "PIPELINE_GROUPINGS",
    "PRIORITY_WEIGHTS",
    "CohortReport",
    "CohortRow",
    "CsatReport",
    "CsatReportRow",
    "LtvReport",
    "LtvRow",
    "PipelineReport",
    "PipelineReportRow",
    "RevenueMonth",
    "RevenueReport",
    "SalesReport",
    "SalesRow",
    "WorkloadReport",
    "WorkloadRow",
    "csat_report",
    "dashboard",
    "ltv_report",
    "pipeline_report",
    "retention_cohorts",
    "revenue_report",
    "sales_report",
    "workload_report",
]
