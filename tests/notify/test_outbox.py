"""The outbox through the runner, against real servers on loopback; no sleeping."""

from __future__ import annotations

import base64
import email
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import relationship_core as rc
from relationship_core._app.outbox.service import Notifications
from relationship_core._notify import EventType, MemoryChannel, Recipient, RetrySchedule
from relationship_core._notify.smtp import message_id
from relationship_core._notify.templates import NotificationTemplate, load_template
from relationship_core.exceptions import ValidationError

from .conftest import HttpServer, SmtpServer, free_port

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
HOOK_SECRET = "whsec_" + base64.b64encode(b"h" * 32).decode()
ADA = Recipient("ada@example.com", "Ada")

ISSUED: NotificationTemplate = load_template(
    EventType("invoice.issued", {"number": str}),
    subject="Invoice {{ number }}",
    text="Invoice {{ number }} is ready.\n",
    category="transactional",
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_HOOK_SECRET", HOOK_SECRET)


def hook(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "webhook", "url": url, "secrets": {"env": "OUTBOX_HOOK_SECRET"}, **extra}


class Shop:
    """A store with an outbox, a ManualClock and a runner over every notify queue."""

    def __init__(self, url: str, channels: Mapping[str, object], **retry: RetrySchedule) -> None:
        self.clock = rc.ManualClock(T0)
        self.crm = rc.open(
            url, clock=self.clock, config={"notify": {"channels": channels, "retry": retry}}
        )
        self.outbox = Notifications(self.crm)
        self.runner = rc.Runner(self.crm, worker="w1", heartbeat=False)

    def issue(self, number: str, channel: str = "hooks") -> str:
        with self.crm.unit_of_work() as uow:
            uow.parties.add(rc.Person(name=f"customer of {number}"))
            stored = self.outbox.notify(
                uow, channel=channel, to=ADA, template=ISSUED, context={"number": number}
            )
        return stored.id

    def drain(self) -> list[str]:
        return [r.outcome for r in self.runner.drain()]


@pytest.fixture
def shop_factory() -> Iterator[list[Shop]]:
    shops: list[Shop] = []
    yield shops
    for shop in shops:
        shop.crm.close()


def open_shop(
    shops: list[Shop], url: str, channels: Mapping[str, object], **retry: RetrySchedule
) -> Shop:
    shop = Shop(url, channels, **retry)
    shops.append(shop)
    return shop


def test_a_rolled_back_unit_of_work_sends_nothing(store_url: str, shop_factory: list[Shop]) -> None:
    dev = MemoryChannel("dev")
    shop = open_shop(shop_factory, store_url, {"dev": dev})

    def failing_change() -> None:
        with shop.crm.unit_of_work() as uow:
            shop.outbox.notify(uow, channel="dev", to=ADA, template=ISSUED, context={"number": "1"})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert shop.drain() == []
    assert dev.attempts == 0
    assert shop.outbox.query() == ()
    assert shop.crm.jobs.list_jobs() == []

    key = shop.issue("INV-2", channel="dev")
    assert shop.outbox.get(key).status == "queued"  # stored with the change, before any worker
    assert shop.drain() == ["done"]
    assert [n.idempotency_key for n in dev.sent] == [key]
    sent = shop.outbox.get(key)
    assert (sent.status, sent.sent_at, sent.subject) == ("sent", T0, "Invoice INV-2")
    [endpoint] = shop.outbox.endpoints()
    assert (endpoint.id, endpoint.enabled, endpoint.last_success_at) == ("dev", True, T0)


def _attempts_through(
    shop: Shop, key: str, schedule: RetrySchedule, server: HttpServer | None = None
) -> None:
    """Advance the clock through *schedule*: each attempt comes exactly when planned."""
    for attempt in range(1, schedule.attempts + 1):
        outcomes = shop.drain()
        assert outcomes == ["dead" if attempt == schedule.attempts else "retried"]
        if server is not None:
            assert len(server.received) == attempt
        wait = schedule.delay(attempt + 1, key=key)
        if wait is None:
            break
        shop.clock.advance(wait - timedelta(milliseconds=1))
        assert shop.drain() == []  # not a millisecond early
        shop.clock.advance(timedelta(milliseconds=1))


def test_a_failing_receiver_gets_the_planned_attempts_then_a_dead_letter(
    local_url: str, http_server: HttpServer, shop_factory: list[Shop]
) -> None:
    http_server.status = 500
    schedule = RetrySchedule(seed=3)  # the Standard Webhooks example: 8 attempts over ~28 h
    shop = open_shop(shop_factory, local_url, {"hooks": hook(http_server.url)}, hooks=schedule)
    key = shop.issue("INV-1")
    _attempts_through(shop, key, schedule, http_server)
    assert shop.clock.now() - T0 > timedelta(hours=24)
    assert {r.headers["webhook-id"] for r in http_server.received} == {key}
    [dead] = shop.crm.jobs.list_jobs(states=["dead"])
    assert dead.attempts == 8
    assert dead.last_error is not None
    assert "500" in dead.last_error
    assert shop.outbox.get(key).status == "queued"  # the dead letter can be requeued
    shop.clock.advance(timedelta(days=7))
    assert shop.drain() == []


@pytest.mark.parametrize("failure", ["timeout", "refused"])
def test_timeouts_and_refused_connections_are_retried_on_schedule(
    store_url: str, http_server: HttpServer, shop_factory: list[Shop], failure: str
) -> None:
    schedule = RetrySchedule([0, 60, 3600], jitter=0)
    if failure == "timeout":
        http_server.delay = 0.3
        channel = hook(http_server.url, read_timeout=0.05)
    else:
        channel = hook(f"http://127.0.0.1:{free_port()}/hooks")
    shop = open_shop(shop_factory, store_url, {"hooks": channel}, hooks=schedule)
    key = shop.issue("INV-1")
    _attempts_through(shop, key, schedule, http_server if failure == "timeout" else None)
    [dead] = shop.crm.jobs.list_jobs(states=["dead"])
    assert dead.last_error == ("timed out" if failure == "timeout" else "connection refused")
    if failure == "timeout":
        assert {r.headers["webhook-id"] for r in http_server.received} == {key}


def test_after_recovery_everything_queued_arrives_once(
    local_url: str, http_server: HttpServer, shop_factory: list[Shop]
) -> None:
    http_server.status = 503
    schedule = RetrySchedule([0, 5, 300, 1800], jitter=0)
    shop = open_shop(shop_factory, local_url, {"hooks": hook(http_server.url)}, hooks=schedule)
    keys = [shop.issue(f"INV-{n}") for n in range(3)]
    assert shop.drain() == ["retried"] * 3
    shop.clock.advance(timedelta(seconds=5))
    assert shop.drain() == ["retried"] * 3
    http_server.status = 200
    before = len(http_server.received)
    shop.clock.advance(timedelta(seconds=300))
    assert shop.drain() == ["done"] * 3
    shop.clock.advance(timedelta(days=2))
    assert shop.drain() == []
    arrived = [r.headers["webhook-id"] for r in http_server.received[before:]]
    assert sorted(arrived) == sorted(keys)
    assert {n.status for n in shop.outbox.query()} == {"sent"}
    assert len(shop.outbox.query(status="sent", channel="hooks")) == 3
    # Outbox bookkeeping keeps no replaced versions: each would be another copy of the message.
    backend: Any = shop.crm.backend
    if "versions" in backend.capabilities:
        for note in shop.outbox.query():
            assert list(backend.versions("notification", note.id)) == []


def test_410_disables_the_endpoint_until_enabled_by_hand(
    store_url: str, http_server: HttpServer, shop_factory: list[Shop]
) -> None:
    http_server.status = 410
    shop = open_shop(shop_factory, store_url, {"hooks": hook(http_server.url)})
    first = shop.issue("INV-1")
    assert shop.drain() == ["done"]  # no retry: the receiver is gone
    failed = shop.outbox.get(first)
    assert failed.status == "failed"
    [endpoint] = shop.outbox.endpoints()
    assert not endpoint.enabled
    assert endpoint.disabled_reason is not None
    assert "410" in endpoint.disabled_reason
    second = shop.issue("INV-2")
    assert shop.drain() == ["done"]
    assert len(http_server.received) == 1  # nothing sent to a disabled endpoint
    assert shop.outbox.get(second).detail.startswith("endpoint disabled")

    http_server.status = 200
    assert shop.outbox.enable("hooks").enabled
    third = shop.issue("INV-3")
    assert shop.drain() == ["done"]
    assert shop.outbox.get(third).status == "sent"
    assert http_server.received[-1].headers["webhook-id"] == third


def test_email_through_the_worker_to_aiosmtpd(
    local_url: str, smtp_plain: SmtpServer, shop_factory: list[Shop]
) -> None:
    mail = {
        "type": "smtp",
        "host": "127.0.0.1",
        "port": smtp_plain.port,
        "sender": "billing@shop.example",
        "security": "plain",
    }
    smtp_plain.mailbox.refuse.add("nobody@example.com")
    shop = open_shop(shop_factory, local_url, {"mail": mail})
    key = shop.issue("INV-9", channel="mail")
    with shop.crm.unit_of_work() as uow:
        refused = shop.outbox.notify(
            uow,
            channel="mail",
            to=Recipient("nobody@example.com"),
            template=ISSUED,
            context={"number": "INV-10"},
        )
    assert shop.drain() == ["done", "done"]
    [envelope] = smtp_plain.mailbox.envelopes
    message = email.message_from_bytes(envelope.content)  # type: ignore[arg-type]
    assert message["Subject"] == "Invoice INV-9"
    assert message["Message-ID"] == message_id(key, "shop.example")  # same on every attempt
    assert shop.outbox.get(key).status == "sent"
    assert shop.outbox.get(refused.id).status == "failed"  # a 5xx for the recipient: no retry
    assert shop.crm.jobs.list_jobs(states=["pending", "dead"]) == []


def test_an_unknown_channel_is_refused_in_the_unit_of_work(
    shop_factory: list[Shop],
) -> None:
    shop = open_shop(shop_factory, "memory://", {"dev": MemoryChannel("dev")})
    with pytest.raises(ValidationError) as info, shop.crm.unit_of_work() as uow:
        shop.outbox.notify(uow, channel="fax", to=ADA, template=ISSUED, context={"number": "1"})
    assert (info.value.field, info.value.value) == ("channel", "fax")
    assert "dev" in info.value.reason
