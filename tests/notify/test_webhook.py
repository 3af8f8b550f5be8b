"""The webhook channel against a real http.server on loopback, verified by `standardwebhooks`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from relationship_core._notify import (
    EndpointState,
    Outcome,
    Secret,
    WebhookChannel,
    new_secret,
)
from relationship_core.exceptions import ValidationError

from .conftest import HttpServer, free_port, note

standardwebhooks = pytest.importorskip("standardwebhooks", reason="pip install standardwebhooks")

OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


def channel(url: str, *secrets: str, read_timeout: float = 2.0) -> WebhookChannel:
    return WebhookChannel(
        "hooks", url=url, secrets=[Secret(s) for s in secrets or (OLD,)],
        connect_timeout=2.0, read_timeout=read_timeout,
    )  # fmt: skip


def test_reference_receiver_verifies_our_deliveries(http_server: HttpServer) -> None:
    batch = [note("evt-1", payload={"n": 1, "name": "Zoë"}), note("evt-2", payload={"n": 2})]
    results = channel(http_server.url).deliver(batch)
    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.DELIVERED]
    receiver = standardwebhooks.Webhook(OLD)
    for sent, got in zip(batch, http_server.received, strict=True):
        assert got.path == "/hooks"
        assert got.headers["webhook-id"] == sent.idempotency_key
        assert got.headers["content-type"] == "application/json"
        document = receiver.verify(got.body, got.headers)
        assert document["type"] == "invoice.issued"
        assert document["data"] == dict(sent.payload)
        assert document["timestamp"] == "2026-03-01T09:30:00Z"
    assert len(http_server.connections) == 1  # one kept-alive connection for the batch


def test_rotation_signs_with_every_active_secret(http_server: HttpServer) -> None:
    channel(http_server.url, OLD, NEW).deliver([note()])
    got = http_server.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (OLD, NEW):  # a receiver on either side of the rotation verifies
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    other = standardwebhooks.Webhook(new_secret().reveal())
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        other.verify(got.body, got.headers)


def test_retries_keep_the_id_and_sign_a_fresh_timestamp(http_server: HttpServer) -> None:
    times = iter([datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, 0, 5, tzinfo=UTC)])
    hook = WebhookChannel(
        "h", url=http_server.url, secrets=[Secret(OLD)], clock=lambda: next(times)
    )
    hook.deliver([note("same")])
    hook.deliver([note("same")])
    first, second = http_server.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "same"
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 300


def test_server_error_is_retry(http_server: HttpServer) -> None:
    http_server.status = 500
    result = channel(http_server.url).deliver([note()])[0]
    assert (result.outcome, result.status, result.retryable) == (Outcome.RETRY, 500, True)


def test_gone_disables_the_endpoint(http_server: HttpServer) -> None:
    http_server.status = 410
    result = channel(http_server.url).deliver([note()])[0]
    assert result.outcome is Outcome.DISABLE_ENDPOINT
    at = datetime(2026, 3, 2, tzinfo=UTC)
    state = EndpointState(last_success_at=datetime(2026, 3, 1, tzinfo=UTC)).after(result, at)
    assert not state.enabled
    assert state.disabled_at == at
    assert "410" in (state.disabled_reason or "")
    assert state.enable().enabled


def test_timeout_is_retry_and_the_next_message_still_goes(http_server: HttpServer) -> None:
    http_server.delay = 0.6
    results = channel(http_server.url, read_timeout=0.2).deliver([note("a")])
    assert results[0].outcome is Outcome.RETRY
    assert results[0].detail == "timed out"


def test_refused_connection_is_retry() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks"
    results = channel(url).deliver([note("a"), note("b")])
    assert [(r.outcome, r.detail) for r in results] == [(Outcome.RETRY, "connection refused")] * 2


def test_body_is_compact_json_and_success_records_last_success(http_server: HttpServer) -> None:
    result = channel(http_server.url).deliver([note(payload={"amount": "12.50"})])[0]
    body = json.loads(http_server.received[0].body)
    assert body["data"] == {"amount": "12.50"}
    now = datetime(2026, 3, 3, tzinfo=UTC)
    assert EndpointState().after(result, now).last_success_at == now


@pytest.mark.parametrize(
    "secret",
    ["not-prefixed", "whsec_!!!notbase64", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_bad_secrets_are_refused_without_showing_them(secret: str) -> None:
    with pytest.raises(ValidationError) as info:
        channel("http://127.0.0.1:1/x", secret)
    assert secret not in str(info.value)
    assert "Secret('***')" in str(info.value)


def test_urls_with_credentials_are_refused_without_showing_them() -> None:
    with pytest.raises(ValidationError) as info:
        channel("https://user:p4ssw0rd@example.com/hooks")
    assert "p4ssw0rd" not in str(info.value)
