"""The workload report: open tasks and tickets per team and person, weighted by priority."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs

from relationship_core._app.facade import CRM
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.validators import tuple_of
from relationship_core._reports._render import (
    html_table,
    png_base64,
    require_matplotlib,
    require_pandas,
    text_table,
)
from relationship_core._support.service import SupportService
from relationship_core._support.sla import SlaPolicy, select_policy, sla_state
from relationship_core._support.tickets import Ticket
from relationship_core._work.tasks import Task

__all__ = ["PRIORITY_WEIGHTS", "WorkloadReport", "WorkloadRow", "workload_report"]

#: What an open item weighs by its priority (tasks' and tickets' share the four names).
PRIORITY_WEIGHTS: dict[str, int] = {"urgent": 4, "high": 3, "normal": 2, "low": 1}

_PAGE = 1000
_Key = tuple[str | None, str | None]


@attrs.frozen(kw_only=True)
class WorkloadRow:
    """The open work of one person or team.

    Attributes:
        team: The team (``None``: work given to a person without a team).
        person: The person (``None``: work given to the team as a whole).
        tasks: Open tasks (not done nor cancelled).
        tickets: Open tickets (not resolved nor closed).
        weighted: Their priorities' `PRIORITY_WEIGHTS`, summed.
        overdue: Open tasks due before today plus open tickets whose SLA is breached.
        sla_at_risk: Open tickets near an SLA breach (not yet breached).
    """

    team: str | None
    person: str | None
    tasks: int = 0
    tickets: int = 0
    weighted: int = 0
    overdue: int = 0
    sla_at_risk: int = 0


@attrs.frozen(kw_only=True)
class WorkloadReport:
    """Open work per team and person on a day.

    Attributes:
        on: The local day overdue is counted against.
        at: The instant SLA clocks were read at.
        rows: One per team and person with open work, heaviest first (then by name).
        sla_counted: Whether SLA policies were given or stored (else breaches and risks are not counted).
    """

    on: date
    at: datetime
    rows: tuple[WorkloadRow, ...]
    sla_counted: bool = True

    def per_team(self) -> dict[str | None, WorkloadRow]:
        """One row per team (people's rows added to their team's)."""
        out: dict[str | None, WorkloadRow] = {}
        for r in self.rows:
            t = out.get(r.team, WorkloadRow(team=r.team, person=None))
            out[r.team] = WorkloadRow(
                team=r.team,
                person=None,
                tasks=t.tasks + r.tasks,
                tickets=t.tickets + r.tickets,
                weighted=t.weighted + r.weighted,
                overdue=t.overdue + r.overdue,
                sla_at_risk=t.sla_at_risk + r.sla_at_risk,
            )
        return dict(sorted(out.items(), key=lambda kv: (kv[0] is None, str(kv[0]))))

    def _table(self) -> tuple[str, list[str], list[list[object]]]:
        columns = ["team", "person", "tasks", "tickets", "weighted", "overdue", "sla at risk"]
        rows: list[list[object]] = [
            [
                r.team or "-",
                r.person or "-",
                r.tasks,
                r.tickets,
                r.weighted,
                r.overdue,
                r.sla_at_risk if self.sla_counted else "-",
            ]
            for r in self.rows
        ]
        title = f"Workload on {self.on}" + (
            "" if self.sla_counted else " (no SLA policies given or stored)"
        )
        return title, columns, rows

    def to_text(self) -> str:
        """The report as a terminal table."""
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per team and person (needs the analytics extra)."""
        pandas = require_pandas()
        fields = [f.name for f in attrs.fields(WorkloadRow)]
        return pandas.DataFrame.from_records([attrs.asdict(r) for r in self.rows], columns=fields)

    def plot(self) -> Any:
        """Stacked bars per person: tasks and tickets, overdue and at-risk marked (analytics)."""
        plt = require_matplotlib()
        figure, axes = plt.subplots(figsize=(7, 3.5))
        labels = [" / ".join(x for x in (r.team, r.person) if x) or "-" for r in self.rows]
        tasks = [r.tasks for r in self.rows]
        axes.barh(labels, tasks, label="tasks")
        axes.barh(labels, [r.tickets for r in self.rows], left=tasks, label="tickets")
        axes.plot([r.overdue for r in self.rows], labels, "rx", label="overdue")
        axes.plot([r.sla_at_risk for r in self.rows], labels, "k^", label="SLA at risk")
        axes.invert_yaxis()
        axes.set_title(f"Open work on {self.on}")
        axes.legend()
        return figure

    def plot_png(self) -> str:
        """`plot` as a base64 PNG, for a self-contained HTML page."""
        return png_base64(self.plot())


def _task_key(assignee: object) -> _Key:
    if assignee is None:
        return (None, None)
    kind, _, name = str(assignee).partition(":")
    return (name, None) if kind == "team" else (None, name)


def workload_report(
    crm: CRM,
    *,
    policies: Sequence[SlaPolicy] = (),
    business: str = DEFAULT_BUSINESS,
) -> WorkloadReport:
    """Open tasks and tickets per team and person now (the store's clock), by their priorities.

    Tasks count under their assignee (a person, or a team as a whole);
    tickets under their team and agent. Counts and weights are three
    aggregate statements (tasks by assignee and priority, overdue tasks by
    assignee, tickets by team, agent and priority). SLA counts need
    SLA policies: *policies* when given (nothing is stored), else the ones
    `SupportService` stored; a ticket's clock depends on its history and the
    business's working hours, so they are read from the open tickets only,
    never the closed ones.

    Raises:
        ValidationError: a bad policy or business.
    """
    # Given policies are used as they are, never stored: a report writes nothing.
    # Without them, the policies support stored (`SupportService(policies=...)`).
    support = SupportService(crm, business=business)
    chosen = tuple_of("policies", SlaPolicy, policies) or support.policies
    now = crm.clock.now()
    today = now.astimezone(support.business.calendar.time_zone).date()
    rows: dict[_Key, dict[str, int]] = {}

    def add(key: _Key, field: str, value: int) -> None:
        row = rows.setdefault(key, dict.fromkeys(("tasks", "tickets", "weighted", "overdue"), 0))
        row[field] = row.get(field, 0) + value

    tasks = crm.repository(Task)
    for group in tasks.aggregate(
        closed=False, measures=["count"], group_by=["assignee", "priority"]
    ):
        count = int(group.values["count"])  # type: ignore[arg-type]
        key = _task_key(group.key[0])
        add(key, "tasks", count)
        add(key, "weighted", count * PRIORITY_WEIGHTS.get(str(group.key[1]), 0))
    for group in tasks.aggregate(
        ("due", "lt", today), closed=False, measures=["count"], group_by=["assignee"]
    ):
        add(_task_key(group.key[0]), "overdue", int(group.values["count"]))  # type: ignore[arg-type]
    tickets = crm.repository(Ticket)
    for group in tickets.aggregate(
        closed=False, measures=["count"], group_by=["team", "assignee", "priority"]
    ):
        count = int(group.values["count"])  # type: ignore[arg-type]
        team, agent, priority = group.key
        key = (None if team is None else str(team), None if agent is None else str(agent))
        add(key, "tickets", count)
        add(key, "weighted", count * PRIORITY_WEIGHTS.get(str(priority), 0))
    if chosen:
        _sla_counts(support, chosen, now, add)
    out = [WorkloadRow(team=k[0], person=k[1], **v) for k, v in rows.items()]
    out.sort(key=lambda r: (-r.weighted, r.team or "\uffff", r.person or "\uffff"))
    return WorkloadReport(on=today, at=now, rows=tuple(out), sla_counted=bool(chosen))


def _sla_counts(
    support: SupportService, policies: Sequence[SlaPolicy], now: datetime, add: Any
) -> None:
    after = None
    calendar = support.business.calendar
    while True:
        page = support.tickets.query(closed=False, limit=_PAGE, after=after)
        for ticket in page.items:
            policy = select_policy(policies, ticket)
            if policy is None:
                continue
            latest = max([ticket.created_at, *(c.at for c in ticket.history), *ticket.responses])
            state = sla_state(ticket, policy, calendar, max(now, latest))
            open_targets = [t for t in state.targets if not t.met]
            key = (ticket.team, ticket.assignee)
            if any(t.breached for t in open_targets):
                add(key, "overdue", 1)
            elif any(t.near_breach for t in open_targets):
                add(key, "sla_at_risk", 1)
        if page.next_cursor is None:
            return
        after = page.next_cursor
