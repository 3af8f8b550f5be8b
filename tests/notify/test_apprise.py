"""The apprise channel against Apprise's own json:// target, posting to a loopback server."""

from __future__ import annotations

import importlib.util
import json

import pytest

from relationship_core._notify import AppriseChannel, Outcome, Secret, load_channels

from .conftest import HttpServer, free_port, note

# Not importorskip: importing apprise outside the channel would raise its DeprecationWarning.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("apprise") is None, reason="the apprise extra is not installed"
)


def test_apprise_delivers_to_a_json_webhook(http_server: HttpServer) -> None:
    channel = AppriseChannel("alerts", urls=[Secret(f"json://127.0.0.1:{http_server.port}/")])
    results = channel.deliver([note(subject="Invoice INV-1")])
    assert results[0].outcome is Outcome.DELIVERED
    body = json.loads(http_server.received[0].body)
    assert body["title"] == "Invoice INV-1"
    assert body["message"].strip() == "Your invoice is ready."


def test_apprise_failure_is_retry() -> None:
    channel = AppriseChannel("alerts", urls=[Secret(f"json://127.0.0.1:{free_port()}/")])
    assert channel.deliver([note()])[0].outcome is Outcome.RETRY


def test_apprise_urls_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_URL", "json://127.0.0.1:9/?token=t0k3n-value")
    channels = load_channels(
        {"channels": {"a": {"type": "apprise", "urls": [{"env": "ALERT_URL"}]}}}
    )
    assert "t0k3n-value" not in repr(channels)
