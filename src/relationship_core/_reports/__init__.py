"""Reports over an open store, computed by its exact aggregates (public: `relationship_core.reports`)."""

from relationship_core._reports.pipeline import (
    PIPELINE_GROUPINGS,
    PipelineReport,
    PipelineReportRow,
    pipeline_report,
)

__all__ = ["PIPELINE_GROUPINGS", "PipelineReport", "PipelineReportRow", "pipeline_report"]
