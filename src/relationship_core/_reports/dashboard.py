"""The dashboard: every report of a store, as the ``report`` command and the demo show them."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from dateutil.relativedelta import relativedelta

from relationship_core._app.facade import CRM
from relationship_core._billing.orders import Order
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._lifecycle.forecast import Period
from relationship_core._reports._months import business_zone, last_months
from relationship_core._reports.cohorts import retention_cohorts
from relationship_core._reports.csat import csat_report
from relationship_core._reports.ltv import ltv_report
from relationship_core._reports.pipeline import pipeline_report
from relationship_core._reports.revenue import revenue_report
from relationship_core._reports.sales import sales_report
from relationship_core._reports.workload import workload_report
from relationship_core.exceptions import MissingExtraError, ValidationError

__all__ = ["Report", "dashboard"]


class Report(Protocol):
    """What the dashboard needs of a report."""

    @property
    def rows(self) -> tuple[object, ...]: ...

    def to_text(self) -> str: ...

    def _repr_html_(self) -> str: ...

    def plot_png(self) -> str: ...


def dashboard(
    crm: CRM,
    *,
    period: Period | None = None,
    months: int = 12,
    business: str = DEFAULT_BUSINESS,
) -> list[Report]:
    """Pipeline (for *period*, the next quarter by default), sales, workload, CSAT, revenue, cohorts.

    Sales count the deals closed in the last *months* local months (this one
    included); CSAT, revenue and cohorts cover the same months; the workload
    is now, without SLA policies (the store does not keep them). With the
    analytics extra, the lifetime value per segment over the next 12 months
    follows for each currency with enough repeat buyers to fit the models.
    """
    zone = business_zone(crm, business)
    firsts = last_months(crm, months, zone)
    last = firsts[-1] + relativedelta(months=1) - timedelta(days=1)
    reports: list[Report] = [
        pipeline_report(crm, period, business=business),
        sales_report(crm, Period(firsts[0], last), business=business),
        workload_report(crm, business=business),
        csat_report(crm, months=months, business=business),
        revenue_report(crm, months=months, business=business),
        retention_cohorts(crm, months=months, business=business),
    ]
    currencies = crm.repository(Order).aggregate(measures=["count"], group_by=["revenue_currency"])
    for group in currencies:
        try:
            reports.append(ltv_report(crm, str(group.key[0]), business=business))
        except (MissingExtraError, ValidationError):  # no extra, or too few repeat buyers
            continue
    return reports
