"""Every public callable of `relationship_core.reports` refuses junk with the library's errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import reports
from relationship_core.exceptions import RelationshipCoreError

_JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=3),
    st.dates(),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(period=_JUNK, by=_JUNK, business=_JUNK)
def test_pipeline_report_refuses_junk(period: Any, by: Any, business: Any) -> None:
    with rc.open("memory://") as crm, contextlib.suppress(RelationshipCoreError):
        reports.pipeline_report(crm, period, by=by, business=business)


@pytest.mark.parametrize("junk", [None, 3, "crm", object()])
def test_a_store_is_required(junk: object) -> None:
    with pytest.raises(RelationshipCoreError):
        reports.pipeline_report(junk)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(by=_JUNK, months=_JUNK, definition=_JUNK, business=_JUNK)
def test_the_other_reports_refuse_junk(
    by: Any, months: Any, definition: Any, business: Any
) -> None:
    with rc.open("memory://") as crm:
        calls: list[Callable[[], object]] = [
            lambda: reports.csat_report(
                crm, by, months=months, definition=definition, business=business
            ),
            lambda: reports.sales_report(crm, by, business=business),
            lambda: reports.workload_report(crm, policies=by, business=business),
            lambda: reports.revenue_report(crm, months=months, business=business),
            lambda: reports.retention_cohorts(crm, months=months, business=business),
            lambda: reports.ltv_report(crm, by, months=months, business=business),
            lambda: reports.dashboard(crm, period=by, months=months, business=business),
        ]
        for call in calls:
            with contextlib.suppress(RelationshipCoreError):
                call()


@pytest.mark.parametrize("junk", [None, 3, "crm", object()])
@pytest.mark.parametrize(
    "report",
    [
        reports.csat_report,
        reports.sales_report,
        reports.workload_report,
        reports.revenue_report,
        reports.retention_cohorts,
        reports.dashboard,
    ],
)
def test_every_report_needs_a_store(junk: object, report: Any) -> None:
    with pytest.raises(RelationshipCoreError):
        report(junk)
    with pytest.raises(RelationshipCoreError):
        reports.ltv_report(junk, "EUR")  # type: ignore[arg-type]
