"""Quickstart: a customer buys, becomes a client, and lapses (pure domain, no storage).

Run: python examples/quickstart.py
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from relationship_core import (
    Engagement,
    ManualClock,
    Money,
    Organisation,
    Person,
    last_contact,
)


def main() -> None:
    clock = ManualClock(datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    acme = Organisation(name="Acme Ltd", time_zone="Europe/London", tags=["wholesale"])
    ada = Person(name="Ada Lovelace", emails=["ada@acme.example"])
    acme.add_contact(ada, title="CFO", decision_maker=True, valid_from=date(2026, 1, 1))

    engagement = Engagement.start(
        acme,
        kind="customer",
        acquired_on=clock.now().date(),
        at=clock.now(),
        sales_rep="sam",
        support_team="support-desk",
    )
    basket = [Money("24.99", "GBP"), Money("24.99", "GBP"), Money("5.00", "GBP")]
    print(f"{acme.name} bought for {sum(basket)}; served by {engagement.served_by}")

    interactions = [engagement.log_interaction("email", at=clock.now(), summary="order query")]
    clock.advance(timedelta(days=14))
    interactions.append(engagement.log_interaction("meeting", at=clock.now(), summary="proposal"))
    engagement.promote_to_client(account_manager="amy", reason="monthly retainer", at=clock.now())
    print(f"promoted on {engagement.history[-1].on}; account manager {engagement.served_by}")
    print(f"last contact {last_contact(interactions):%Y-%m-%d}")

    clock.advance(timedelta(days=200))
    engagement.lapse_to_customer(reason="budget cut", at=clock.now())
    for event in engagement.pull_events():
        print(f"{event.occurred_at:%Y-%m-%d}  {event.name}")


if __name__ == "__main__":
    main()
