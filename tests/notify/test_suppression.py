"""The stored suppression list: checked when queued and when delivered, managed by hand."""

from __future__ import annotations

import pytest

from relationship_core._notify import Category, MemoryChannel, Recipient, Unsubscribe
from relationship_core._notify.templates import load_template
from relationship_core.exceptions import NotFoundError, ValidationError

from .test_outbox import ADA, ISSUED, T0, Shop, open_shop, shop_factory  # noqa: F401 - fixture

PROMO = load_template(
    ISSUED.event, subject="Sale {{ number }}", text="...", category="marketing", name="promo"
)
UNSUB = Unsubscribe(url="https://example.com/u/ada")


def _queue(shop: Shop, template: object = ISSUED, to: Recipient = ADA, channel: str = "dev") -> str:
    with shop.crm.unit_of_work() as uow:
        stored = shop.outbox.notify(
            uow,
            channel=channel,
            to=to,
            template=template,  # type: ignore[arg-type]
            context={"number": "1"},
            unsubscribe=UNSUB if template is PROMO else None,
        )
    return stored.id


def test_suppressed_at_enqueue_and_at_delivery(
    store_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
) -> None:
    dev = MemoryChannel("dev")
    shop = open_shop(shop_factory, store_url, {"dev": dev})
    waiting = _queue(shop)  # queued before the bounce arrives
    entry = shop.outbox.suppress("ADA@example.com", "hard_bounce", note="550 5.1.1 no such user")
    assert (entry.id, entry.reason, entry.at, entry.note) == (
        "ada@example.com",
        "hard_bounce",
        T0,
        "550 5.1.1 no such user",
    )
    later = _queue(shop)
    refused = shop.outbox.get(later)
    assert (refused.status, refused.job_id) == ("suppressed", "")
    assert refused.detail.startswith("suppressed at enqueue: ada@example.com")
    assert shop.drain() == ["done"]  # only the one queued before
    assert dev.sent == []
    held = shop.outbox.get(waiting)
    assert held.status == "suppressed"
    assert "at delivery" in held.detail
    assert [s.id for s in shop.outbox.suppressions(reason="hard_bounce")] == ["ada@example.com"]
    # Removed by hand: sent again.
    assert shop.outbox.unsuppress("ada@example.com").reason == "hard_bounce"
    assert shop.outbox.suppressions() == []
    sent = _queue(shop)
    assert shop.drain() == ["done"]
    assert shop.outbox.get(sent).status == "sent"
    with pytest.raises(NotFoundError):
        shop.outbox.unsuppress("ada@example.com")


def test_an_unsubscribe_blocks_marketing_only_and_endpoints_by_channel(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
) -> None:
    dev = MemoryChannel("dev")
    shop = open_shop(shop_factory, local_url, {"dev": dev})
    shop.outbox.suppress("ada@example.com", "unsubscribed")
    promo, invoice = _queue(shop, PROMO), _queue(shop)
    assert shop.outbox.get(promo).status == "suppressed"
    assert shop.outbox.get(invoice).status == "queued"
    shop.outbox.suppress("ada@example.com", "complaint")  # replaces the reason
    assert [(s.reason) for s in shop.outbox.suppressions()] == ["complaint"]
    shop.drain()
    assert shop.outbox.get(invoice).status == "suppressed"
    # A channel that addresses no one is suppressed by name.
    shop.outbox.suppress("channel:dev", "manual")
    hook = _queue(shop, to=Recipient())
    assert shop.outbox.get(hook).status == "suppressed"
    assert {n.category for n in dev.sent} <= {Category.TRANSACTIONAL}


@pytest.mark.parametrize(
    ("target", "reason", "field"),
    [
        ("not an address", "manual", "target"),
        ("ada@example.com", "bored", "reason"),
        ("channel:a\nb", "manual", "target"),
        (7, "manual", "target"),
    ],
)
def test_bad_suppressions_are_refused(target: object, reason: object, field: str) -> None:
    shop = Shop("memory://", {"dev": MemoryChannel("dev")})
    with pytest.raises(ValidationError) as info:
        shop.outbox.suppress(target, reason)  # type: ignore[arg-type]
    assert info.value.field == field
