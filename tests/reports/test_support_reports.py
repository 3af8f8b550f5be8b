"""CSAT and workload reports: hand-computed figures on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import (
    Actor,
    Assignee,
    FormSubmission,
    SlaPolicy,
    SupportService,
    WorkService,
)
from relationship_core._support import CsatResponse, csat, csat_by
from relationship_core.exceptions import MissingExtraError, ValidationError
from relationship_core.reports import CsatReport, WorkloadReport, csat_report, workload_report

START = datetime(2026, 1, 31, 14, tzinfo=UTC)  # 23:00 in Tokyo
SAM = Actor.person("sam")


def _answered(
    support: SupportService,
    clock: rc.ManualClock,
    *,
    team: str,
    agent: str,
    product: str | None,
    score: int,
) -> None:
    form = FormSubmission(name="Ada", email="ada@example.com", problem="p", product=product)
    ticket = support.submit(form, team=team)
    support.assign(ticket.id, agent, actor=SAM)
    support.move(ticket.id, "resolved", actor=SAM)
    [survey] = support.surveys.query(ticket_id=ticket.id)
    support.answer_survey(survey.id, score)


def _fill(crm: rc.CRM, clock: rc.ManualClock) -> None:
    support = SupportService(crm)
    answers = [
        # (advance, team, agent, product, score)
        (0, "desk", "sam", "retainer", 5),  # 31 January in UTC and in Tokyo
        (2, "desk", "sam", "retainer", 2),  # 16:00 UTC: 1 February 01:00 in Tokyo
        (48, "desk", "kim", "widget", 4),  # 2 February
        (1, "field", "kim", None, 3),
        (30 * 24, "desk", "sam", "widget", 1),  # March
    ]
    for hours, team, agent, product, score in answers:
        clock.advance(timedelta(hours=hours))
        _answered(support, clock, team=team, agent=agent, product=product, score=score)


def test_csat_per_month_and_team_in_the_business_zone(url: str) -> None:
    clock = rc.ManualClock(START)
    with rc.open(url, clock=clock) as crm:
        _fill(crm, clock)
        crm.repository(rc.Business).add(rc.Business.create("studio", time_zone="Asia/Tokyo"))
        report = csat_report(crm, months=3)
        assert report.months == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
        got = [(r.month.month, r.group, r.scores) for r in report.rows]
        assert got == [
            (1, "desk", (0, 1, 0, 0, 1)),
            (2, "desk", (0, 0, 0, 1, 0)),
            (2, "field", (0, 0, 1, 0, 0)),
            (3, "desk", (1, 0, 0, 0, 0)),
        ]
        assert report.rows[0].csat() == Fraction(1, 2)
        assert report.totals()["desk"].scores == (1, 1, 0, 1, 1)
        # Tokyo is 9 hours ahead: the second January answer is given on 1 February there.
        tokyo = csat_report(crm, months=3, business="studio")
        assert [(r.month.month, r.scores) for r in tokyo.rows][:2] == [
            (1, (0, 0, 0, 0, 1)),
            (2, (0, 1, 0, 1, 0)),
        ]
        by_agent = csat_report(crm, "agent", months=3, definition="mean")
        assert [(r.group, r.csat("mean")) for r in by_agent.rows if r.month.month == 2] == [
            ("kim", Fraction(7, 2))
        ]
        by_product = csat_report(crm, "product", months=3)
        assert [r.group for r in by_product.rows if r.month.month == 2] == ["widget", None]
        assert "desk" in report.to_text()
        assert "<table>" in report._repr_html_()


def test_csat_definitions_agree_with_the_support_definitions() -> None:
    answers = [CsatResponse(score=s, answered_at=START) for s in (5, 4, 3, 3, 2, 1)]
    with rc.open("memory://", clock=rc.ManualClock(START)) as crm:
        from relationship_core.reports import CsatReportRow

        row = CsatReportRow(month=date(2026, 1, 1), group=None, scores=(1, 1, 2, 1, 1))
        for definition in ("satisfied_share", "zendesk", "odoo", "odoo_average", "mean"):
            assert row.csat(definition) == csat(answers, definition), definition
        with pytest.raises(ValidationError) as err:
            csat_report(crm, "colour")
        assert err.value.field == "by"
        with pytest.raises(ValidationError) as err:
            csat_report(crm, months=0)
        assert err.value.field == "months"


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["a", "b"])), max_size=8))
def test_the_store_counts_equal_csat_by(answers: list[tuple[int, str]]) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    with rc.open("memory://", clock=clock) as crm:
        support = SupportService(crm)
        for score, team in answers:
            _answered(support, clock, team=team, agent="sam", product=None, score=score)
        report = csat_report(crm, months=1)
        responses = [CsatResponse(score=s, answered_at=clock.now(), team=t) for s, t in answers]
        for definition in ("satisfied_share", "zendesk", "mean"):
            expected = csat_by(responses, "team", definition)
            assert {r.group: r.csat(definition) for r in report.rows} == expected


def test_workload_per_team_and_person_with_sla(url: str) -> None:
    clock = rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))  # a Monday
    policy = SlaPolicy(name="std", first_response=timedelta(hours=4))
    with rc.open(url, clock=clock) as crm:
        work = WorkService(crm)
        person, team = Assignee.person("sam"), Assignee.team("ops")
        work.create_task(
            "a", actor=SAM, assignee=person, priority="urgent", due_on=date(2026, 3, 1)
        )
        work.create_task("b", actor=SAM, assignee=person, priority="low", due_on=date(2026, 3, 9))
        work.create_task("c", actor=SAM, assignee=team)
        done = work.create_task("d", actor=SAM, assignee=person, due_on=date(2026, 2, 1))
        work.move(done.id, "done", actor=SAM)
        support = SupportService(crm, policies=[policy])
        late = support.submit(
            FormSubmission(name="A", email="a@x.example", problem="p"), team="desk"
        )
        support.assign(late.id, "sam", actor=SAM)
        clock.advance(timedelta(hours=3, minutes=30))  # 3.5 of 4 working hours: near breach
        risky = support.submit(
            FormSubmission(name="B", email="b@x.example", problem="q"), team="desk"
        )
        support.assign(risky.id, "sam", actor=SAM)
        clock.advance(timedelta(hours=3, minutes=30))  # the first is breached, the second near
        report = workload_report(crm, policies=[policy])
        got = [
            (r.team, r.person, r.tasks, r.tickets, r.weighted, r.overdue, r.sla_at_risk)
            for r in report.rows
        ]
        assert got == [
            (None, "sam", 2, 0, 5, 1, 0),  # urgent 4 + low 1; one task past due
            ("desk", "sam", 0, 2, 4, 1, 1),  # two normal tickets: one breached, one near
            ("ops", None, 1, 0, 2, 0, 0),
        ]
        assert report.on == date(2026, 3, 2)
        assert report.per_team()["desk"].tickets == 2
        # Without policies= the report takes the ones SupportService stored.
        assert workload_report(crm).rows == report.rows
    with rc.open("memory://", clock=clock) as crm:
        # A store whose support has no policies: SLA counts are not known, and
        # policies given to the report are used, never stored.
        WorkService(crm).create_task("a", actor=SAM, assignee=Assignee.person("sam"))
        plain = workload_report(crm)
        assert not plain.sla_counted
        assert "(no SLA policies given or stored)" in plain.to_text()
        assert workload_report(crm, policies=[policy]).sla_counted
        assert SupportService(crm).policies == ()


def test_frames_and_plots() -> None:
    clock = rc.ManualClock(START)
    with rc.open("memory://", clock=clock) as crm:
        _fill(crm, clock)
        WorkService(crm).create_task("a", actor=SAM, assignee=Assignee.person("sam"))
        reports: list[CsatReport | WorkloadReport] = [
            csat_report(crm, months=3),
            workload_report(crm),
        ]
        try:
            frames = [r.to_frame() for r in reports]
        except MissingExtraError:
            pytest.skip("the analytics extra is not installed")
        assert list(frames[0]["csat"]) == [0.5, 1.0, 0.0, 0.0]
        assert list(frames[1]["tasks"]) == [1]
        for report in reports:
            assert report.plot_png().startswith("iVBOR")
