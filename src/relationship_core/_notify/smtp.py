"""The ``smtp`` channel: standard-library ``smtplib``, one connection per batch."""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, quote

from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    ChannelConfig,
    SuppressionList,
    suppressed_results,
)
from relationship_core._notify.headers import check_address, check_header_text
from relationship_core._notify.message import Category, Notification
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.secrets import ChannelSecrets, Secret
from relationship_core.exceptions import ValidationError

__all__ = ["SECURITY_MODES", "SmtpChannel", "build_email"]

#: ``plain`` (no TLS; only for loopback relays), ``starttls`` (upgrade on port 587),
#: ``tls`` (implicit TLS on port 465).
SECURITY_MODES = ("plain", "starttls", "tls")

_TRANSIENT = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ssl.SSLError)


def _is_ascii(text: str) -> bool:
    return text.isascii()


def message_id(key: str, domain: str) -> str:
    """The ``Message-ID`` for idempotency key *key*: the same on every attempt."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _mailbox(name: str, address: str) -> Address | str:
    if address.partition("@")[0].isascii():
        return Address(display_name=name, addr_spec=address)
    # email.headerregistry refuses non-ASCII local parts; under SMTPUTF8 they go as UTF-8.
    return f'"{quote(name)}" <{address}>' if name else address


def build_email(note: Notification, sender: str, sender_name: str = "") -> EmailMessage:
    """The RFC 5322 message for *note*: text and HTML alternatives, consent headers.

    Non-ASCII display names and subjects are RFC 2047 encoded; a non-ASCII
    address needs SMTPUTF8 (RFC 6531/6532), which `SmtpChannel` asks for
    when the server offers it.
    """
    international = not (_is_ascii(sender) and _is_ascii(note.recipient.address))
    msg = EmailMessage(policy=policy.SMTPUTF8 if international else policy.SMTP)
    msg["From"] = _mailbox(sender_name, sender)
    msg["To"] = _mailbox(note.recipient.name, note.recipient.address)
    msg["Subject"] = note.subject
    msg["Date"] = format_datetime(note.created_at)
    msg["Message-ID"] = message_id(note.idempotency_key, sender.rpartition("@")[2])
    if note.category is Category.MARKETING and note.unsubscribe is not None:
        targets = []
        if note.unsubscribe.url:
            targets.append(f"<{note.unsubscribe.url}>")
        if note.unsubscribe.mailto:
            targets.append(f"<mailto:{note.unsubscribe.mailto}>")
        msg["List-Unsubscribe"] = ", ".join(targets)
        if note.unsubscribe.url:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(note.text)
    if note.html is not None:
        msg.add_alternative(note.html, subtype="html")
    return msg


class SmtpChannel:
    """Sends e-mail through one SMTP server, one connection per batch.

    A failure to connect, log in or talk TLS makes every message of the
    batch ``RETRY``; a 4xx for one recipient retries that message; a 5xx
    rejects it. The password is a `Secret` and appears in no message.
    """

    def __init__(
        self,
        name: str = "smtp",
        *,
        host: str,
        port: int | None = None,
        sender: str,
        sender_name: str = "",
        security: str = "starttls",
        username: str | None = None,
        password: Secret | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        suppression: SuppressionList = NO_SUPPRESSION,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValidationError("security", security, f"expected one of {SECURITY_MODES}")
        if (username is None) != (password is None):
            raise ValidationError("username", username, "give both username and password")
        self._name = name
        self._host = check_header_text("host", host)
        self._port = port or {"plain": 25, "starttls": 587, "tls": 465}[security]
        self._sender = check_address("sender", sender)
        self._sender_name = check_header_text("sender_name", sender_name)
        self._security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()
        self._suppression = suppression

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"SmtpChannel({self._name!r}, {self._host}:{self._port}, {self._security})"

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._ssl
            )
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            client.ehlo()
            if self._security == "starttls":
                client.starttls(context=self._ssl)
                client.ehlo()
            if self._username is not None and self._password is not None:
                client.login(self._username, self._password.reveal())
        except BaseException:
            client.close()
            raise
        return client

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        results: dict[int, DeliveryResult] = suppressed_results(
            self._name, batch, self._suppression
        )
        pending = [i for i in range(len(batch)) if i not in results]
        if pending:
            self._send(batch, pending, results)
        return [results[i] for i in range(len(batch))]

    def _send(
        self, batch: Sequence[Notification], pending: list[int], results: dict[int, DeliveryResult]
    ) -> None:
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            for i in pending:
                results[i] = _result(
                    batch[i], Outcome.RETRY, "authentication failed", exc.smtp_code
                )
            return
        except (*_TRANSIENT, smtplib.SMTPException) as exc:
            for i in pending:
                results[i] = _result(batch[i], Outcome.RETRY, _describe(exc), _code(exc))
            return
        try:
            for position, i in enumerate(pending):
                try:
                    results[i] = self._send_one(client, batch[i])
                except _TRANSIENT as exc:
                    for j in pending[position:]:
                        results[j] = _result(batch[j], Outcome.RETRY, _describe(exc))
                    return
        finally:
            try:
                client.quit()
            except (*_TRANSIENT, smtplib.SMTPException):
                client.close()

    def _send_one(self, client: smtplib.SMTP, note: Notification) -> DeliveryResult:
        if not note.recipient.address:
            return _result(note, Outcome.REJECTED, "the recipient has no e-mail address")
        msg = build_email(note, self._sender, self._sender_name)
        international = msg.policy is policy.SMTPUTF8
        if international and not client.has_extn("smtputf8"):
            return _result(
                note, Outcome.REJECTED, "non-ASCII address but the server does not offer SMTPUTF8"
            )
        try:
            # send_message adds SMTPUTF8 and BODY=8BITMIME itself for non-ASCII addresses.
            refused = client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            return _by_code(note, code, "recipient refused")
        except smtplib.SMTPResponseException as exc:
            client.rset()
            return _by_code(note, exc.smtp_code, "message refused")
        if refused:
            code = next(iter(refused.values()))[0]
            return _by_code(note, code, "recipient refused")
        return _result(note, Outcome.DELIVERED)

    @classmethod
    def from_config(cls, config: ChannelConfig, secrets: ChannelSecrets) -> SmtpChannel:
        """The ``smtp`` spec's factory (options in docs/notifications.md)."""
        config.only(
            "host", "port", "sender", "sender_name", "security", "username", "timeout", "password"
        )
        return cls(
            config.name,
            host=config.option("host", str),
            port=config.option("port", int, None),
            sender=config.option("sender", str),
            sender_name=config.option("sender_name", str, ""),
            security=config.option("security", str, "starttls"),
            username=config.option("username", str, None),
            password=secrets.get("password"),
            timeout=float(config.option("timeout", float, 10.0)),
            suppression=config.suppression,
        )


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "smtp_code", None)
    return code if isinstance(code, int) else None


def _describe(exc: BaseException) -> str:
    # Class names only: server replies can echo what we sent (an AUTH line).
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"connection failed ({type(exc).__name__})"


def _by_code(note: Notification, code: int, what: str) -> DeliveryResult:
    outcome = Outcome.RETRY if 400 <= code < 500 else Outcome.REJECTED
    return _result(note, outcome, f"{what} ({code})", code)


def _result(
    note: Notification, outcome: Outcome, detail: str = "", status: int | None = None
) -> DeliveryResult:
    return DeliveryResult(note.idempotency_key, outcome, detail, status)
