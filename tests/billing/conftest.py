"""Shared helpers for the billing tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from relationship_core import Money
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.retainer import Retainer, RetainerTerms

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def make_retainer(
    fee: str = "310.00",
    *,
    starts_on: date = date(2026, 1, 1),
    anchor: date | None = date(2026, 1, 1),
    cycle: BillingCycle | None = None,
    **terms: object,
) -> Retainer:
    return Retainer.start(
        "R1",
        "P1",
        RetainerTerms(
            usd(fee),
            cycle or BillingCycle.monthly(),
            terms.pop("time_zone", "America/New_York"),
            anchor=anchor,
            **terms,  # type: ignore[arg-type]
        ),
        AT,
        starts_on=starts_on,
    )
