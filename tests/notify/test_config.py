"""Channels from configuration; secrets never shown; header injection; retry schedule."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationship_core._notify import (
    BUILTIN_CHANNELS,
    STANDARD_WEBHOOKS_SCHEDULE,
    Category,
    ChannelSpec,
    LogChannel,
    MemoryChannel,
    Notification,
    Outcome,
    Recipient,
    RetrySchedule,
    Secret,
    SmtpChannel,
    WebhookChannel,
    load_channels,
)
from relationship_core.exceptions import ValidationError

from .conftest import HttpServer, free_port, note

SMTP_PW = "pw-from-env-9f8e7d"
HOOK_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
VAULT_SECRET = "vault-value-31337"  # noqa: S105 - test value, grepped for


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PW)
    monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)


TOML = """
[channels.mail]
type = "smtp"
host = "127.0.0.1"
port = 2525
sender = "billing@shop.example"
security = "plain"
username = "mailer"
password = {env = "SMTP_PASSWORD"}

[channels.hooks]
type = "webhook"
url = "http://127.0.0.1:9/hooks"
secrets = [{env = "HOOK_SECRET"}, {secret = "old-hook"}]

[channels.audit]
type = "log"
level = "DEBUG"

[channels.test]
type = "memory"
"""


def test_load_channels_from_toml(env: None) -> None:
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    channels = load_channels(TOML, secrets={"old-hook": old})
    assert isinstance(channels["mail"], SmtpChannel)
    assert isinstance(channels["hooks"], WebhookChannel)
    assert isinstance(channels["audit"], LogChannel)
    assert isinstance(channels["test"], MemoryChannel)
    shown = repr(channels)
    assert SMTP_PW not in shown
    assert HOOK_SECRET not in shown
    assert old not in shown


def test_builtin_names() -> None:
    assert [s.name for s in BUILTIN_CHANNELS] == ["log", "memory", "smtp", "webhook", "apprise"]


def _error_outputs(config: object, caplog: pytest.LogCaptureFixture, **kwargs: object) -> str:
    with caplog.at_level(logging.DEBUG), pytest.raises(ValidationError) as info:
        load_channels(config, **kwargs)  # type: ignore[arg-type]
    exc = info.value
    return " ".join([str(exc), repr(exc), repr(exc.value), exc.reason, exc.field, caplog.text])


@pytest.mark.parametrize(
    ("config", "kwargs"),
    [
        # a secret written inline where a reference belongs
        (
            {
                "channels": {
                    "m": {"type": "smtp", "host": "h", "sender": "a@b.co", "password": SMTP_PW}
                }
            },
            {},
        ),
        (
            {
                "channels": {
                    "h": {"type": "webhook", "url": "http://x.example/", "secrets": [HOOK_SECRET]}
                }
            },
            {},
        ),
        # a secret that resolves but is malformed
        (
            {
                "channels": {
                    "h": {"type": "webhook", "url": "http://x.example/", "secrets": {"secret": "v"}}
                }
            },
            {"secrets": {"v": VAULT_SECRET}},
        ),
        # credentials in a URL
        (
            {
                "channels": {
                    "h": {
                        "type": "webhook",
                        "url": f"https://u:{VAULT_SECRET}@x.example/",
                        "secrets": {"env": "HOOK_SECRET"},
                    }
                }
            },
            {},
        ),
        # a bad option next to a good secret
        (
            {
                "channels": {
                    "m": {
                        "type": "smtp",
                        "host": "h",
                        "sender": "nope",
                        "password": {"env": "SMTP_PASSWORD"},
                    }
                }
            },
            {},
        ),
        (
            {
                "channels": {
                    "m": {
                        "type": "smtp",
                        "host": "h",
                        "sender": "a@b.co",
                        "password": {"env": "SMTP_PASSWORD"},
                        "pasword": 1,
                    }
                }
            },
            {},
        ),
        # an unset variable, a missing lookup, unknown types, bad TOML
        (
            {
                "channels": {
                    "m": {
                        "type": "smtp",
                        "host": "h",
                        "sender": "a@b.co",
                        "password": {"env": "NOPE_UNSET"},
                    }
                }
            },
            {},
        ),
        (
            {
                "channels": {
                    "m": {
                        "type": "smtp",
                        "host": "h",
                        "sender": "a@b.co",
                        "password": {"secret": "x"},
                    }
                }
            },
            {},
        ),
        ({"channels": {"m": {"type": "carrier-pigeon"}}}, {}),
        (f'[channels.m]\ntype = "smtp"\npassword = "{SMTP_PW}\n', {}),
    ],
)
def test_no_error_path_shows_a_secret(
    env: None, config: object, kwargs: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    shown = _error_outputs(config, caplog, **kwargs)
    for secret in (SMTP_PW, HOOK_SECRET, VAULT_SECRET, HOOK_SECRET.removeprefix("whsec_")):
        assert secret not in shown


def test_unknown_type_lists_the_available_ones() -> None:
    with pytest.raises(ValidationError, match="available: apprise, log, memory, smtp, webhook"):
        load_channels({"channels": {"x": {"type": "fax"}}})


def test_duplicate_spec_names_are_refused() -> None:
    twin = ChannelSpec("memory", MemoryChannel.from_config)
    with pytest.raises(ValidationError, match="share this name"):
        load_channels({"channels": {}}, specs=(*BUILTIN_CHANNELS, twin))


def test_secrets_from_a_callable_and_never_pickled() -> None:
    seen: list[str] = []

    def vault(name: str) -> str | None:
        seen.append(name)
        return HOOK_SECRET

    channels = load_channels(
        {
            "channels": {
                "h": {
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/",
                    "secrets": {"secret": "hook"},
                }
            }
        },
        secrets=vault,
    )
    assert seen == ["hook"]
    assert "h" in channels
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


def test_delivery_errors_never_show_the_smtp_password(
    env: None, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = {"channels": {"m": {
        "type": "smtp", "host": "127.0.0.1", "port": free_port(), "sender": "a@b.co",
        "security": "plain", "username": "u", "password": {"env": "SMTP_PASSWORD"},
    }}}  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        results = load_channels(cfg)["m"].deliver([note()])
    assert results[0].outcome is Outcome.RETRY
    assert SMTP_PW not in repr(results) + caplog.text


def test_log_channel_logs_and_memory_channel_deduplicates(
    caplog: pytest.LogCaptureFixture, http_server: HttpServer
) -> None:
    with caplog.at_level(logging.INFO, "relationship_core.notify"):
        LogChannel().deliver([note("k")])
    assert "k invoice.issued to ada@example.com: Invoice INV-1" in caplog.text
    memory = MemoryChannel()
    memory.deliver([note("k"), note("k")])
    assert len(memory.sent) == 1
    assert memory.attempts == 2


INJECTIONS = [
    "Hello\r\nBcc: victim@example.com",
    "Hello\nX-Evil: 1",
    "Hi =?UTF-8?Q?=0A?=Bcc: v@example.com",
    "Hi =?UTF-8?Q?=0D=0A?=Bcc: v@example.com",
    "Hi =?utf-8?b?" + base64.b64encode(b"\r\nBcc: v@example.com").decode() + "?=",
    "Hi \x00 there",
    "Hi \u2028 there",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_header_injection_in_subjects_and_names_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        note(subject=value)
    assert (info.value.field, info.value.value) == ("subject", value)
    with pytest.raises(ValidationError) as info:
        Recipient("ada@example.com", name=value)
    assert info.value.field == "recipient.name"


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com\r\nBcc: v@example.com",
        "ada@example.com, v@example.com",
        "Ada <ada@example.com>",
        "=?UTF-8?Q?ada=0A?=@example.com",
        "ada",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "ada@example",
        "a..b@example.com",
    ],
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as info:
        Recipient(address)
    assert (info.value.field, info.value.value) == ("recipient.address", address)


@given(st.text(max_size=30))
def test_any_subject_is_refused_or_one_line(text: str) -> None:
    try:
        n = note(subject=text)
    except ValidationError:
        return
    assert "\r" not in n.subject
    assert "\n" not in n.subject


def test_marketing_needs_unsubscribe() -> None:
    with pytest.raises(ValidationError, match="unsubscribe"):
        Notification(
            idempotency_key="k", event_type="promo", recipient=Recipient("a@example.com"),
            subject="s", text="t", created_at=datetime(2026, 1, 1, tzinfo=UTC),
            category=Category.MARKETING,
        )  # fmt: skip


def test_default_schedule_is_the_standard_webhooks_example() -> None:
    schedule = RetrySchedule(jitter=0)
    assert schedule.delays == STANDARD_WEBHOOKS_SCHEDULE
    assert [schedule.delay(n) for n in range(1, 10)] == [
        timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
        timedelta(hours=2), timedelta(hours=5), timedelta(hours=10), timedelta(hours=10), None,
    ]  # fmt: skip


@given(st.integers(1, 8), st.text(max_size=10), st.integers())
def test_jitter_is_seeded_and_bounded(attempt: int, key: str, seed: int) -> None:
    schedule = RetrySchedule(jitter=0.2, seed=seed)
    base = STANDARD_WEBHOOKS_SCHEDULE[attempt - 1]
    delay = schedule.delay(attempt, key=key)
    assert delay is not None
    assert delay == schedule.delay(attempt, key=key)
    assert base * 0.8 - timedelta(microseconds=1) <= delay <= base * 1.2 + timedelta(microseconds=1)


def test_exponential_schedule_and_next_attempt() -> None:
    s = RetrySchedule.exponential(
        first=timedelta(seconds=1), factor=3, cap=timedelta(seconds=20), attempts=5, jitter=0
    )
    assert [d.total_seconds() for d in s.delays] == [0, 1, 3, 9, 20]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert s.next_attempt_at(2, now) == now + timedelta(seconds=1)
    assert s.next_attempt_at(6, now) is None
    with pytest.raises(ValidationError):
        RetrySchedule(jitter=1.5)
