"""The smtp channel against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from relationship_core._notify import Category, Outcome, Secret, SmtpChannel

from .conftest import PASSWORD, USER, SmtpServer, client_tls, free_port, note


def _parsed(server: SmtpServer, index: int = 0) -> EmailMessage:
    content = server.mailbox.envelopes[index].content
    assert isinstance(content, bytes)
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain(server: SmtpServer, **kwargs: object) -> SmtpChannel:
    return SmtpChannel(
        "mail", host="127.0.0.1", port=server.port, sender="billing@shop.example",
        sender_name="Shop Billing", security="plain", **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_content_headers_and_alternatives(smtp_plain: SmtpServer) -> None:
    results = plain(smtp_plain).deliver([note(html="<p>Your invoice</p>")])
    assert [r.outcome for r in results] == [Outcome.DELIVERED]
    msg = _parsed(smtp_plain)
    assert msg["To"] == "Ada Lovelace <ada@example.com>"
    assert msg["From"] == "Shop Billing <billing@shop.example>"
    assert msg["Subject"] == "Invoice INV-1"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] is None
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().replace("\r\n", "\n") == "Your invoice is ready.\n"
    assert html.get_content().strip() == "<p>Your invoice</p>"


def test_one_connection_per_batch_and_stable_message_id(smtp_plain: SmtpServer) -> None:
    channel = plain(smtp_plain)
    batch = [note("k-1"), note("k-2", address="bob@example.com")]
    assert all(r.outcome is Outcome.DELIVERED for r in channel.deliver(batch))
    assert len(smtp_plain.mailbox.sessions) == 1
    channel.deliver([note("k-1")])  # a retry of the first message
    ids = [_parsed(smtp_plain, i)["Message-ID"] for i in range(3)]
    assert ids[0] == ids[2] != ids[1]
    assert ids[0].endswith("@shop.example>")


def test_marketing_carries_list_unsubscribe(smtp_plain: SmtpServer) -> None:
    plain(smtp_plain).deliver([note(category=Category.MARKETING)])
    msg = _parsed(smtp_plain)
    assert msg["List-Unsubscribe"] == "<https://example.com/u/1>, <mailto:unsub@example.com>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_non_ascii_name_and_subject_are_encoded(smtp_plain: SmtpServer) -> None:
    plain(smtp_plain).deliver([note(name="Zoë Ångström", subject="Facture n° 7 — réglée ✓")])
    raw = smtp_plain.mailbox.envelopes[0].content
    assert isinstance(raw, bytes)
    raw.decode("ascii")  # RFC 2047: the headers on the wire are ASCII
    assert b"=?utf-8?" in raw
    msg = _parsed(smtp_plain)
    assert msg["Subject"] == "Facture n° 7 — réglée ✓"
    assert str(msg["To"]) == "Zoë Ångström <ada@example.com>"


def test_non_ascii_address_uses_smtputf8(smtp_plain: SmtpServer) -> None:
    results = plain(smtp_plain).deliver([note(address="zoë@exämple.com")])
    assert results[0].outcome is Outcome.DELIVERED, results
    envelope = smtp_plain.mailbox.envelopes[0]
    assert envelope.smtp_utf8
    assert envelope.rcpt_tos == ["zoë@exämple.com"]


def test_refused_recipient_is_rejected_and_others_still_sent(smtp_plain: SmtpServer) -> None:
    smtp_plain.mailbox.refuse.add("nobody@example.com")
    results = plain(smtp_plain).deliver(
        [note("a"), note("b", address="nobody@example.com"), note("c")]
    )
    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.REJECTED, Outcome.DELIVERED]
    assert results[1].status == 550


def test_starttls_with_auth(smtp_starttls: SmtpServer) -> None:
    channel = SmtpChannel(
        "mail", host="127.0.0.1", port=smtp_starttls.port, sender="billing@shop.example",
        security="starttls", username=USER, password=Secret(PASSWORD),
        ssl_context=client_tls(smtp_starttls),
    )  # fmt: skip
    assert channel.deliver([note()])[0].outcome is Outcome.DELIVERED
    assert len(smtp_starttls.mailbox.envelopes) == 1


def test_implicit_tls_with_auth(smtp_tls: SmtpServer) -> None:
    channel = SmtpChannel(
        "mail", host="localhost", port=smtp_tls.port, sender="billing@shop.example",
        security="tls", username=USER, password=Secret(PASSWORD),
        ssl_context=client_tls(smtp_tls),
    )  # fmt: skip
    assert channel.deliver([note()])[0].outcome is Outcome.DELIVERED


def test_wrong_password_retries_and_never_shows_it(
    smtp_starttls: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-pw-value-123"
    channel = SmtpChannel(
        "mail", host="127.0.0.1", port=smtp_starttls.port, sender="billing@shop.example",
        username=USER, password=Secret(wrong), ssl_context=client_tls(smtp_starttls),
    )  # fmt: skip
    results = channel.deliver([note()])
    assert results[0].outcome is Outcome.RETRY
    shown = repr(results) + repr(channel) + caplog.text
    assert wrong not in shown
    assert PASSWORD not in shown


def test_untrusted_certificate_is_retry_not_crash(smtp_starttls: SmtpServer) -> None:
    channel = SmtpChannel(
        "mail", host="127.0.0.1", port=smtp_starttls.port, sender="billing@shop.example",
        username=USER, password=Secret(PASSWORD),
    )  # fmt: skip
    result = channel.deliver([note()])[0]
    assert result.outcome is Outcome.RETRY
    assert "SSL" in result.detail


def test_refused_connection_is_retry() -> None:
    channel = SmtpChannel(
        "mail", host="127.0.0.1", port=free_port(), sender="billing@shop.example",
        security="plain", timeout=2,
    )  # fmt: skip
    results = channel.deliver([note("a"), note("b")])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert results[0].detail == "connection refused"


def test_suppression_is_checked_at_send_time(smtp_plain: SmtpServer) -> None:
    class Unsubscribed:
        def is_suppressed(self, channel: str, notification: object) -> bool:
            return getattr(notification, "idempotency_key", "") == "b"

    results = plain(smtp_plain, suppression=Unsubscribed()).deliver([note("a"), note("b")])
    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.SUPPRESSED]
    assert len(smtp_plain.mailbox.envelopes) == 1
