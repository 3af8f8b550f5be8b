"""Endpoint states and suppressions are read once per claimed batch: what a change mid-batch stops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core._app.outbox.delivery import GATE
from relationship_core._app.outbox.stored import ENDPOINTS, SUPPRESSIONS, Suppression
from relationship_core._notify import MemoryChannel
from relationship_core._notify.message import Notification
from relationship_core._notify.results import DeliveryResult

from .test_outbox import ADA, Shop, open_shop, shop_factory  # noqa: F401 - fixture

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


class Meddling(MemoryChannel):
    """A memory channel that makes a change while it delivers its second message."""

    def __init__(self) -> None:
        super().__init__("dev")
        self.change: Callable[[], None] = lambda: None

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        results = super().deliver(batch)
        if self.attempts == 2:
            self.change()
        return results


def _shop(shops: list[Shop], url: str) -> tuple[Shop, Meddling]:
    dev = Meddling()
    shop = open_shop(shops, url, {"dev": dev})
    shop.runner = rc.Runner(shop.crm, worker="w1", heartbeat=False, batch=4)
    shop.issue("INV-0", channel="dev")  # the endpoint's first success is recorded
    assert shop.drain() == ["done"]
    return shop, dev


def _batch_of_four(shop: Shop) -> list[str]:
    keys = [shop.issue(f"INV-{i}", channel="dev") for i in range(1, 5)]
    assert shop.drain() == ["done"] * 4
    return [shop.outbox.get(key).status for key in keys]


@pytest.mark.parametrize("how", ["suppress", "disable"])
def test_a_change_made_here_stops_the_rest_of_the_batch(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
    how: str,
) -> None:
    shop, dev = _shop(shop_factory, local_url)

    def change() -> None:
        if how == "suppress":
            shop.outbox.suppress(ADA.address, "hard_bounce")
        else:
            shop.outbox.disable("dev", "by hand")

    dev.change = change
    stopped = "suppressed" if how == "suppress" else "failed"
    assert _batch_of_four(shop) == ["sent", stopped, stopped, stopped]
    assert len(dev.sent) == 2


def _elsewhere(shop: Shop, what: str) -> Callable[[], None]:
    """A change written without the outbox, as another process would make it."""

    def change() -> None:
        if what == "suppression":
            shop.crm.repository(SUPPRESSIONS).add(
                Suppression(id=ADA.address, reason="manual", at=AT)
            )
        else:
            with shop.crm.unit_of_work() as uow:
                endpoint = uow.repository(ENDPOINTS).get("dev")
                endpoint.enabled, endpoint.disabled_reason = False, "gone"

    return change


@pytest.mark.parametrize("what", ["suppression", "endpoint"])
def test_a_change_from_elsewhere_lets_the_batch_in_hand_go_on(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
    what: str,
) -> None:
    shop, dev = _shop(shop_factory, local_url)
    dev.change = _elsewhere(shop, what)
    assert _batch_of_four(shop) == ["sent"] * 4  # one read for the batch (at most 1 s old)
    assert len(dev.sent) == 5


def test_the_next_claim_reads_again(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
) -> None:
    shop, dev = _shop(shop_factory, local_url)
    dev.change = _elsewhere(shop, "endpoint")
    assert _batch_of_four(shop) == ["sent"] * 4
    later = shop.issue("INV-5", channel="dev")
    shop.clock.advance(timedelta(seconds=1))  # a later claim (a later lease expiry)
    assert shop.drain() == ["done"]
    assert shop.outbox.get(later).status == "failed"
    assert len(dev.sent) == 5


def test_with_no_reuse_a_change_from_elsewhere_stops_the_batch_at_once(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(GATE, "max_age", 0.0)
    shop, dev = _shop(shop_factory, local_url)
    dev.change = _elsewhere(shop, "suppression")
    assert _batch_of_four(shop) == ["sent", "suppressed", "suppressed", "suppressed"]

    assert GATE.max_age == 0.0


def test_the_documented_bound() -> None:
    assert GATE.max_age == 1.0


def test_reads_are_per_store(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    shop, _ = _shop(shop_factory, local_url)
    shop.outbox.disable("dev", "by hand")
    failed = shop.issue("INV-1", channel="dev")
    assert shop.drain() == ["done"]
    assert shop.outbox.get(failed).status == "failed"
    # Another store, the same worker name, clock and lease: its own endpoint, enabled.
    other_url = "memory://" if local_url.startswith("memory") else f"sqlite:///{tmp_path}/o.db"
    other, other_dev = _shop(shop_factory, other_url)
    sent = other.issue("INV-1", channel="dev")
    assert other.drain() == ["done"]
    assert other.outbox.get(sent).status == "sent"
    assert len(other_dev.sent) == 2
