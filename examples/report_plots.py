"""The reports' plots on a seeded year of a small studio (the pictures in docs/reports.md).

    python examples/report_plots.py docs/img     # regenerate the committed pictures

Without an argument the PNGs go to $RELATIONSHIP_CORE_EXAMPLE_OUTPUT or a new
temporary directory. Needs the analytics extra (pandas, matplotlib).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import relationship_core as rc
from relationship_core import (
    Actor,
    Assignee,
    FormSubmission,
    LifecycleService,
    Money,
    Period,
    Person,
    SlaPolicy,
    SupportService,
    WorkService,
)
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.retainer import Retainer, RetainerTerms
from relationship_core.reports import (
    csat_report,
    ltv_report,
    pipeline_report,
    retention_cohorts,
    revenue_report,
    sales_report,
    workload_report,
)

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
REPS = ("amy", "bob", "cy", "dee")
AGENTS = {"sam": "desk", "kim": "desk", "lou": "field"}
POLICY = SlaPolicy(name="std", first_response=timedelta(hours=8))


def _target() -> Path:
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
    elif os.environ.get("RELATIONSHIP_CORE_EXAMPLE_OUTPUT"):
        target = Path(os.environ["RELATIONSHIP_CORE_EXAMPLE_OUTPUT"])
    else:
        target = Path(tempfile.mkdtemp(prefix="report-plots-"))
    target.mkdir(parents=True, exist_ok=True)
    return target


def _year(crm: rc.CRM, clock: rc.ManualClock, rng: random.Random) -> None:
    sales, support = LifecycleService(crm), SupportService(crm, policies=[POLICY])
    billing = rc.BillingService(crm, clock=clock, time_zone="UTC")
    actor = Actor.person("ops")
    customers = [crm.parties.add(Person(name=f"Customer {n}")).id for n in range(40)]
    for n, party in enumerate(customers[:6]):
        fee = Money(str(400 + 100 * n), "GBP")
        terms = RetainerTerms(fee=fee, cycle=BillingCycle.monthly(), time_zone="UTC")
        billing.start_retainer(party, terms, starts_on=date(2026, 1 + 2 * n, 1))
    joined = 0
    closing: dict[int, list[tuple[str, bool]]] = {}
    for week in range(52):
        clock.set(START + timedelta(weeks=week))
        for deal_id, won in closing.pop(week, []):
            if won:
                sales.win_deal(deal_id)
            else:
                sales.lose_deal(deal_id, reason_code="price")
        joined = min(len(customers), joined + rng.randrange(0, 3))
        for party in rng.sample(customers[: max(joined, 1)], k=min(joined, 3)):
            kit = LineItem("Kit", rng.randrange(1, 5), Money("49.00", "GBP"), LineKind.PRODUCT)
            billing.place_order(party, [kit])
        deal = sales.open_deal(
            party_id=customers[week % 40],
            title="deal",
            owner=REPS[week % 4],
            amount=Money(str(rng.randrange(5, 60) * 100), "GBP"),
            expected_close=(clock.now() + timedelta(days=rng.randrange(20, 200))).date(),
        )
        if week < 46:
            won = rng.random() < (0.35 + 0.1 * (week % 4))
            closing.setdefault(week + rng.randrange(1, 7), []).append((deal.id, won))
        agent = list(AGENTS)[week % 3]
        form = FormSubmission(name="A", email=f"c{week % 40}@example.com", problem="p")
        ticket = support.submit(form, team=AGENTS[agent])
        support.assign(ticket.id, agent, actor=actor)
        if week < 50:
            support.move(ticket.id, "resolved", actor=actor)
            [survey] = support.surveys.query(ticket_id=ticket.id)
            support.answer_survey(survey.id, rng.choice((2, 3, 4, 4, 5, 5)))
    clock.set(datetime(2026, 12, 31, 12, tzinfo=UTC))
    work = WorkService(crm)
    for n in range(14):
        who = Assignee.person(list(AGENTS)[n % 3]) if n % 4 else Assignee.team("desk")
        priority = ("urgent", "high", "normal", "low")[n % 4]
        work.create_task(
            f"task {n}",
            actor=actor,
            assignee=who,
            priority=priority,
            due_on=date(2026, 12, 24) + timedelta(days=n),
        )


def _segment(crm: rc.CRM) -> Callable[[str], str]:
    """Clients (with a retainer) and per-purchase customers."""
    clients = {r.party_id for r in crm.repository(Retainer).iterate()}
    return lambda party_id: "client" if party_id in clients else "customer"


def main() -> None:
    """Write report-*.png into the target directory."""
    target = _target()
    clock = rc.ManualClock(START)
    with rc.open("memory://", clock=clock) as crm:
        _year(crm, clock, random.Random(16))  # noqa: S311 - seeded sample data, not secrets
        reports: dict[str, Any] = {
            "pipeline": pipeline_report(crm, by=["owner"]),
            "sales": sales_report(crm, Period(date(2026, 1, 1), date(2026, 12, 31))),
            "workload": workload_report(crm, policies=[POLICY]),
            "csat": csat_report(crm, months=6),
            "revenue": revenue_report(crm, months=12),
            "cohorts": retention_cohorts(crm, months=12),
            "ltv": ltv_report(crm, "GBP", segment=_segment(crm)),
        }
        for name, report in reports.items():
            figure = report.plot()
            figure.savefig(target / f"report-{name}.png", dpi=80, bbox_inches="tight")
            print(report.to_text(), end="\n\n")
    print(f"plots written to {target}")


if __name__ == "__main__":
    main()
