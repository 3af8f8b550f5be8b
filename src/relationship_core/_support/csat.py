"""CSAT: a survey per resolved ticket, answered once on a 1-5 scale, and its definitions.

The default, `CsatDefinition.SATISFIED_SHARE`, is the share of 4-5 answers
among all answers. The same answers give other numbers under Zendesk's
definition (good / (good + bad), neutral 3s left out) and under means of the
score; Odoo's is computed on its own 1/3/5 scale (`to_odoo`).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs

from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware, to_zone
from relationship_core._domain.validators import to_enum
from relationship_core._support.events import SurveyAnswered
from relationship_core._support.tickets import Ticket, TicketStatus
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "Answer",
    "CsatDefinition",
    "CsatResponse",
    "Period",
    "Survey",
    "csat",
    "csat_by",
    "to_odoo",
]

#: How long a survey can be answered, unless told otherwise.
DEFAULT_VALIDITY = timedelta(days=14)


@attrs.frozen(kw_only=True)
class Answer:
    """A customer's answer.

    Attributes:
        score: 1 (very unhappy) to 5 (very happy).
        comment: What they added.
        at: When they answered.
    """

    score: int
    comment: str
    at: datetime


@attrs.define(kw_only=True)
class Survey(EventRecorder):
    """The feedback form sent for a resolved ticket: answered once, until it expires.

    A second answer is refused (`InvalidTransitionError`): the first is what
    the customer said when asked, and a number that changes later would make
    reports disagree with themselves.

    Attributes:
        id: The survey's id.
        ticket_id: The resolved ticket.
        sent_at: When it was sent.
        expires_at: The first instant it can no longer be answered.
        answer: The answer, once given.
        party_id: The ticket's party (copied, so the survey is found by party).
        team: The ticket's team when it was resolved (copied, for the CSAT report).
        agent: The ticket's assignee when it was resolved (copied, likewise).
        product: The ticket's product (copied, likewise).
    """

    id: str
    ticket_id: str
    sent_at: datetime
    expires_at: datetime
    answer: Answer | None = None
    party_id: str | None = None
    team: str | None = None
    agent: str | None = None
    product: str | None = None
    _events: list[DomainEvent] = events_field()

    @classmethod
    def for_ticket(
        cls,
        ticket: Ticket,
        *,
        at: datetime,
        valid_for: timedelta = DEFAULT_VALIDITY,
        id: str | None = None,
    ) -> Survey:
        """A survey for a resolved *ticket*, open for *valid_for*."""
        require_aware("at", at)
        if ticket.status is not TicketStatus.RESOLVED:
            raise ValidationError(
                "ticket.status", ticket.status.value, "survey resolved tickets only"
            )
        if not isinstance(valid_for, timedelta) or valid_for <= timedelta(0):
            raise ValidationError("valid_for", valid_for, "give a positive timedelta")
        return cls(
            id=new_id() if id is None else id,
            ticket_id=ticket.id,
            sent_at=at,
            expires_at=at + valid_for,
            party_id=ticket.party_id,
            team=ticket.team,
            agent=ticket.assignee,
            product=ticket.product,
        )

    def is_open(self, at: datetime) -> bool:
        """Unanswered and not expired at *at*."""
        return self.answer is None and self.sent_at <= at < self.expires_at

    def respond(self, score: int, comment: str = "", *, at: datetime) -> Answer:
        """Answer it once, before it expires."""
        require_aware("at", at)
        if self.answer is not None:
            raise InvalidTransitionError("survey", "answered", "answered", ())
        if at >= self.expires_at:
            raise ValidationError("at", at, f"the survey expired at {self.expires_at}")
        if at < self.sent_at:
            raise ValidationError("at", at, f"before the survey was sent at {self.sent_at}")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError("score", score, "a whole number from 1 to 5")
        if not isinstance(comment, str) or len(comment) > 5000 or "\x00" in comment:
            raise ValidationError("comment", comment, "text of at most 5000 characters")
        self.answer = Answer(score=score, comment=comment, at=at)
        self._record(
            SurveyAnswered(
                aggregate_id=self.id, occurred_at=at, ticket_id=self.ticket_id, score=score
            )
        )
        return self.answer


@attrs.frozen(kw_only=True)
class CsatResponse:
    """One answer with what reports group by.

    Attributes:
        score: 1 to 5.
        answered_at: When.
        team: The ticket's team.
        agent: The ticket's agent.
        product: The ticket's product.
    """

    score: int
    answered_at: datetime
    team: str | None = None
    agent: str | None = None
    product: str | None = None

    @classmethod
    def of(cls, survey: Survey, ticket: Ticket) -> CsatResponse:
        """The response of an answered *survey* of *ticket*."""
        if survey.answer is None or survey.ticket_id != ticket.id:
            raise ValidationError("survey", survey.id, "give an answered survey and its own ticket")
        return cls(
            score=survey.answer.score,
            answered_at=survey.answer.at,
            team=ticket.team,
            agent=ticket.assignee,
            product=ticket.product,
        )


def to_odoo(score: int) -> int:
    """A 1-5 answer on Odoo's 1/3/5 scale: 4-5 happy (5), 3 neutral (3), 1-2 unhappy (1).

    Odoo's ``rating_data`` calls ratings of at least ``RATING_LIMIT_SATISFIED`` (4)
    "top" and of at least ``RATING_LIMIT_OK`` (3) "ok"; the rest are "ko".
    """
    return 5 if score >= 4 else 3 if score == 3 else 1


class CsatDefinition(enum.Enum):
    """Ways to turn answers into one number; they disagree on the same answers."""

    SATISFIED_SHARE = "satisfied_share"  #: 4-5 answers / all answers (the default)
    ZENDESK = "zendesk"  #: good (4-5) / (good + bad (1-2)); 3s left out
    ODOO = "odoo"  #: great / (great + okay + bad) on Odoo's 1/3/5 scale
    ODOO_AVERAGE = "odoo_average"  #: mean on Odoo's 1/3/5 scale
    MEAN = "mean"  #: mean 1-5 score


def _ratio(good: int, total: int) -> Fraction | None:
    return Fraction(good, total) if total else None


_DEFINITIONS: dict[CsatDefinition, Callable[[list[int]], Fraction | None]] = {
    CsatDefinition.SATISFIED_SHARE: lambda s: _ratio(sum(x >= 4 for x in s), len(s)),
    CsatDefinition.ZENDESK: lambda s: _ratio(sum(x >= 4 for x in s), sum(x != 3 for x in s)),
    CsatDefinition.ODOO: lambda s: _ratio(sum(to_odoo(x) == 5 for x in s), len(s)),
    CsatDefinition.ODOO_AVERAGE: lambda s: _ratio(sum(to_odoo(x) for x in s), len(s)),
    CsatDefinition.MEAN: lambda s: _ratio(sum(s), len(s)),
}


def _in_window(
    responses: Iterable[CsatResponse], start: datetime | None, end: datetime | None
) -> list[CsatResponse]:
    lo = None if start is None else require_aware("start", start)
    hi = None if end is None else require_aware("end", end)
    return [
        r
        for r in responses
        if (lo is None or r.answered_at >= lo) and (hi is None or r.answered_at < hi)
    ]


def csat(
    responses: Iterable[CsatResponse],
    definition: CsatDefinition | str = CsatDefinition.SATISFIED_SHARE,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Fraction | None:
    """CSAT of the answers in ``[start, end)`` under *definition*; ``None`` with nothing to count.

    Shares are fractions of 1 (multiply by 100 for percent); means are scores.
    """
    how = to_enum(CsatDefinition, "definition", definition)
    return _DEFINITIONS[how]([r.score for r in _in_window(responses, start, end)])


class Period(enum.Enum):
    """Local calendar buckets."""

    DAY = "day"
    WEEK = "week"  #: ISO weeks, starting Monday
    MONTH = "month"


def _bucket(at: datetime, zone: ZoneInfo, period: Period) -> date:
    day = at.astimezone(zone).date()
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


_GROUPS = ("team", "agent", "product")


def csat_by(
    responses: Iterable[CsatResponse],
    by: str,
    definition: CsatDefinition | str = CsatDefinition.SATISFIED_SHARE,
    *,
    zone: ZoneInfo | str = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[object, Fraction | None]:
    """CSAT per team, agent or product, or per local ``day``/``week``/``month`` in *zone*.

    Keys are sorted; a period's key is its first local day.
    """
    how = to_enum(CsatDefinition, "definition", definition)
    groups: dict[object, list[int]] = defaultdict(list)
    window = _in_window(responses, start, end)
    if by in _GROUPS:
        for r in window:
            groups[getattr(r, by)].append(r.score)
    else:
        period = to_enum(Period, "by", by)
        tz = to_zone("zone", zone)
        for r in window:
            groups[_bucket(r.answered_at, tz, period)].append(r.score)
    return {
        k: _DEFINITIONS[how](groups[k]) for k in sorted(groups, key=lambda k: (k is None, str(k)))
    }
