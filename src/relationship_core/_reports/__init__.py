"""Reports over an open store, computed by its exact aggregates (public: `relationship_core.reports`)."""

from relationship_core._reports.cohorts import CohortReport, CohortRow, retention_cohorts
from relationship_core._reports.csat import CSAT_GROUPINGS, CsatReport, CsatReportRow, csat_report
from relationship_core._reports.dashboard import dashboard
from relationship_core._reports.ltv import LtvReport, LtvRow, ltv_report
from relationship_core._reports.pipeline import (
    PIPELINE_GROUPINGS,
    PipelineReport,
    PipelineReportRow,
    pipeline_report,
)
from relationship_core._reports.revenue import RevenueMonth, RevenueReport, revenue_report
from relationship_core._reports.sales import SalesReport, SalesRow, sales_report
from relationship_core._reports.workload import (
    PRIORITY_WEIGHTS,
    WorkloadReport,
    WorkloadRow,
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
