"""Compiled conditions: a worked example of every operator, and the edges of each."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest

from relationship_core import Money
from relationship_core._rules import Context, Exposure, compile_condition

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


class Tier(enum.Enum):
    GOLD = "gold"


@attrs.frozen
class Party:
    name: str
    tier: Tier
    secret: str = "hidden"  # noqa: S105 - not a password, an unexposed attribute


def context(**extra: object) -> Context:
    roots: dict[str, object] = {
        "order": {
            "total": Money("600.00", "EUR"),
            "status": "paid",
            "lines": 3,
            "weight": Decimal("2.5"),
            "tags": ["rush", "gift"],
            "placed_on": date(2025, 3, 1),
            "note": None,
            "paid": True,
        },
        "party": Party("ACME Ltd", Tier.GOLD),
        "proposal": {"sent_at": NOW - timedelta(days=4), "title": "Audit 2025"},
    }
    roots.update(extra)
    return Context(roots, now=NOW, exposure=Exposure({Party: ("name", "tier")}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('order.status == "paid"', True),
        ('order.status != "paid"', False),
        ("order.lines < 4", True),
        ("order.lines <= 3", True),
        ("order.lines > 3", False),
        ("order.weight >= 2.5", True),
        ("order.lines == 3.0", True),
        ('order.status in ["paid", "sent"]', True),
        ("order.lines in [1, 2]", False),
        ('order.status not in ["void"]', True),
        ('order.tags contains "gift"', True),
        ('"rush" in order.tags', True),
        ('proposal.title contains "2025"', True),
        ("exists order.total", True),
        ("exists order.note", False),
        ("exists order.nothing", False),
        ("order.paid", True),
        ("order.paid and not order.lines > 5", True),
        ("order.lines > 5 or order.paid", True),
        ("order.total >= 500 EUR", True),
        ("order.total < 500 EUR", False),
        ("order.total == 600 EUR", True),
        ("order.total.amount > 100", True),
        ('order.total.currency == "EUR"', True),
        ("proposal.sent_at < now - 3 days", True),
        ("proposal.sent_at < now - 5 days", False),
        ("proposal.sent_at > now - 1 week", True),
        ("proposal.sent_at + 95 hours < now", True),
        ("proposal.sent_at + 97 hours < now", False),
        ("proposal.sent_at < now - 5759 minutes", True),
        ('order.placed_on == date("2025-03-01")', True),
        ('order.placed_on + 9 days == date("2025-03-10")', True),
        ('proposal.sent_at == datetime("2025-03-06T12:00:00+00:00")', True),
        ('lower(party.name) == "acme ltd"', True),
        ('upper(party.name) == "ACME LTD"', True),
        ('startswith(party.name, "ACME")', True),
        ('endswith(party.name, "Ltd")', True),
        ("len(order.tags) == 2", True),
        ('party.name matches "ACME*"', True),
        ('party.name matches "?CME ?td"', True),
        ('lower(party.name) matches "*corp*"', False),
        ('party.tier == "gold"', True),
    ],
)
def test_every_operator(text: str, expected: bool) -> None:
    assert compile_condition(text).evaluate(context()) is expected


@pytest.mark.parametrize(
    "text",
    [
        "order.total >= 500 USD",  # another currency never matches...
        "order.total < 500 USD",
        "order.total == 600 USD",
        'order.lines > "2"',  # ...nor another kind
        "order.status > 3",
        "order.placed_on < now",  # a date is not a datetime
        "order.nothing == null",  # missing is not null
        "order.nothing != 1",  # every operator on a missing value is false
        "order.nothing not in [1]",
        "lower(order.lines) == 3",
        'party.secret == "hidden"',  # not exposed
        "party.name.upper == 1",
        "order.paid == 1",  # a boolean is not a number
    ],
)
def test_mismatches_are_false_never_errors(text: str) -> None:
    assert compile_condition(text).evaluate(context()) is False


def test_ne_is_true_across_kinds_and_currencies() -> None:
    assert compile_condition("order.total != 600 USD").evaluate(context())
    assert compile_condition('order.lines != "3"').evaluate(context())


def test_days_follow_the_local_calendar_hours_the_clock() -> None:
    paris = ZoneInfo("Europe/Paris")
    # DST starts in Paris on 2025-03-30 at 02:00: a calendar day before 30 March 12:00
    # is 29 March 12:00 local, only 23 elapsed hours earlier.
    now = datetime(2025, 3, 30, 12, 0, tzinfo=paris)
    sent = datetime(2025, 3, 29, 12, 0, tzinfo=paris)
    ctx = Context({"p": {"sent": sent}}, now=now)
    assert compile_condition("p.sent == now - 1 day").evaluate(ctx)
    assert compile_condition("p.sent + 23 hours == now").evaluate(ctx)
    assert not compile_condition("p.sent + 24 hours == now").evaluate(ctx)


def test_strange_values_never_raise() -> None:
    ctx = context(
        odd={
            "nan": Decimal("NaN"),
            "snan": Decimal("sNaN"),
            "fnan": float("nan"),
            "naive": datetime(2025, 1, 1),  # noqa: DTZ001
            "early": datetime.min.replace(tzinfo=UTC),
            "obj": object(),
            "long": "x" * 100_000,
        }
    )
    for text in [
        "odd.nan > 1",
        "odd.snan == 1",
        "odd.snan in [1, 2]",
        "odd.fnan < 1",
        "odd.naive < now",
        "odd.early - 1 day < now",
        "odd.obj == 1",
        'odd.long matches "*y"',
        "odd.snan != 1 and odd.nan >= 1",
    ]:
        assert compile_condition(text).evaluate(ctx) in (True, False)


def test_now_must_be_aware() -> None:
    from relationship_core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="aware"):
        Context({}, now=datetime(2025, 1, 1))  # noqa: DTZ001
