"""CSAT: surveys answered once before expiry; definitions that disagree on the same answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from relationship_core._support import (
    CsatResponse,
    FormSubmission,
    Survey,
    Ticket,
    csat,
    csat_by,
    to_odoo,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _resolved() -> Ticket:
    ticket = Ticket.open(FormSubmission(name="Ada", email="ada@example.com", problem="?"), at=T0)
    ticket.move("resolved", by="sam", at=T0)
    return ticket


def test_survey_once_and_expiry() -> None:
    ticket = _resolved()
    survey = Survey.for_ticket(ticket, at=T0, valid_for=timedelta(days=7))
    with pytest.raises(ValidationError) as e:
        survey.respond(6, at=T0)
    assert (e.value.field, e.value.value) == ("score", 6)
    survey.respond(4, "Quick!", at=T0 + timedelta(days=1))
    with pytest.raises(InvalidTransitionError):
        survey.respond(5, at=T0 + timedelta(days=2))
    late = Survey.for_ticket(ticket, at=T0, valid_for=timedelta(days=7))
    with pytest.raises(ValidationError) as e:
        late.respond(5, at=T0 + timedelta(days=7))
    assert e.value.field == "at"
    open_ticket = Ticket.open(FormSubmission(name="B", email="b@example.com", problem="?"), at=T0)
    with pytest.raises(ValidationError):
        Survey.for_ticket(open_ticket, at=T0)
    assert CsatResponse.of(survey, ticket).score == 4


def test_same_answers_different_numbers() -> None:
    answers = [CsatResponse(score=s, answered_at=T0) for s in (5, 4, 3, 3, 2, 1)]
    assert csat(answers) == Fraction(2, 6)  # 4-5 among all
    assert csat(answers, "zendesk") == Fraction(2, 4)  # good / (good + bad)
    assert csat(answers, "odoo") == Fraction(2, 6)  # great / all, on 1/3/5
    assert csat(answers, "mean") == 3
    assert csat(answers, "odoo_average") == Fraction(5 + 5 + 3 + 3 + 1 + 1, 6)
    assert [to_odoo(s) for s in range(1, 6)] == [1, 1, 3, 5, 5]
    assert csat([]) is None
    assert csat([CsatResponse(score=3, answered_at=T0)], "zendesk") is None
    with pytest.raises(ValidationError):
        csat(answers, "nps")


def test_grouping_by_team_and_local_period() -> None:
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 1 April in Berlin
    answers = [
        CsatResponse(score=5, answered_at=late, team="a", agent="sam"),
        CsatResponse(score=1, answered_at=T0, team="a", agent="kim"),
        CsatResponse(score=4, answered_at=T0, team="b", agent="kim"),
    ]
    assert csat_by(answers, "team") == {"a": Fraction(1, 2), "b": 1}
    assert csat_by(answers, "month", zone="Europe/Berlin") == {
        date(2026, 3, 1): Fraction(1, 2),
        date(2026, 4, 1): 1,
    }
    assert csat_by(answers, "month", zone="UTC") == {date(2026, 3, 1): Fraction(2, 3)}
    assert list(csat_by(answers, "week")) == [date(2026, 3, 2), date(2026, 3, 30)]
    assert csat_by(answers, "agent", start=T0 + timedelta(days=1)) == {"sam": 1}


def test_csat_from_the_stores_answered_surveys(url: str) -> None:
    import relationship_core as rc
    from relationship_core import Actor
    from relationship_core._support.service import SupportService

    sam = Actor.person("sam")
    clock = rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        support = SupportService(crm)
        for n, (team, score) in enumerate([("desk", 5), ("desk", 2), ("tier2", 4)]):
            form = FormSubmission(name="Ada", email=f"a{n}@example.com", problem="?")
            ticket = support.submit(form, team=team)
            support.assign(ticket.id, "sam", actor=sam)
            support.move(ticket.id, "resolved", actor=sam)
            [survey] = support.surveys.query(ticket_id=ticket.id).items
            support.answer_survey(survey.id, score)
        support.submit(FormSubmission(name="Bo", email="bo@example.com", problem="?"))
        responses = support.csat_responses()
        assert sorted(r.score for r in responses) == [2, 4, 5]
        assert csat_by(responses, "team") == {"desk": Fraction(1, 2), "tier2": Fraction(1)}
