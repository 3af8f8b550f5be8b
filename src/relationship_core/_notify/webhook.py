"""The ``webhook`` channel: JSON over HTTP POST, signed per Standard Webhooks.

Uses the standard library's ``http.client``: a webhook is one POST with two
timeouts, and the library gives both (connect via the connection's timeout,
read via the socket's) and keeps one connection alive across a batch, so no
dependency is needed.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    ChannelConfig,
    SuppressionList,
    suppressed_results,
)
from relationship_core._notify.message import Notification
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.secrets import ChannelSecrets, Secret
from relationship_core._notify.signing import signature_header, signing_key
from relationship_core.exceptions import ValidationError

__all__ = ["WebhookChannel", "webhook_body"]

_MAX_RESPONSE = 64 * 1024  # read (and drop) at most this much of a reply
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # one, not one per body


def webhook_body(note: Notification) -> bytes:
    """The JSON body: ``{"type", "timestamp", "data"}`` as Standard Webhooks suggests."""
    document = {
        "type": note.event_type,
        "timestamp": note.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": dict(note.payload),
    }
    return _JSON.encode(document).encode()


def _url(value: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("url", value, "expected an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValidationError("url", "<url with credentials>", "put credentials in secrets")
    return parts


class WebhookChannel:
    """POSTs each notification of a batch to one endpoint, over one kept-alive connection.

    2xx: ``DELIVERED``. 410 Gone: ``DISABLE_ENDPOINT``. Anything else (5xx,
    other 4xx, a timeout, a refused or reset connection): ``RETRY``, as
    Standard Webhooks asks. Redirects are not followed.
    """

    def __init__(
        self,
        name: str = "webhook",
        *,
        url: str,
        secrets: Sequence[Secret],
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "relationship-core-webhooks",
        suppression: SuppressionList = NO_SUPPRESSION,
    ) -> None:
        self._parts = _url(url)
        self._path = (self._parts.path or "/") + (
            "?" + self._parts.query if self._parts.query else ""
        )
        if not secrets:
            raise ValidationError("secrets", (), "give at least one whsec_ secret")
        self._keys = tuple(signing_key(s, f"secrets[{i}]") for i, s in enumerate(secrets))
        for field, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
            if not isinstance(value, int | float) or not 0 < value <= 300:
                raise ValidationError(field, value, "expected seconds in (0, 300]")
        self._name = name
        self._connect_timeout = float(connect_timeout)
        self._read_timeout = float(read_timeout)
        self._clock = clock
        self._ssl: ssl.SSLContext | None = (
            ssl_context  # the default one is made when first needed (it costs ~20 ms)
        )
        self._user_agent = user_agent
        self._suppression = suppression
        self._local = threading.local()  # one kept-alive connection per worker thread
        self._open: set[http.client.HTTPConnection] = set()
        self._closer = weakref.finalize(self, _close_all, self._open)

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"WebhookChannel({self._name!r}, {self._parts.scheme}://{self._parts.netloc}{self._parts.path})"

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            return http.client.HTTPSConnection(
                host, port, timeout=self._connect_timeout, context=self._ssl
            )
        return http.client.HTTPConnection(host, port, timeout=self._connect_timeout)

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        results = suppressed_results(self._name, batch, self._suppression)
        for index, note in enumerate(batch):
            if index not in results:
                results[index] = self._send(note)
        return [results[i] for i in range(len(batch))]

    def close(self) -> None:
        """Close the kept-alive connections (also done when the channel is collected)."""
        _close_all(self._open)

    def _send(self, note: Notification) -> DeliveryResult:
        """POST *note* on this thread's kept-alive connection (a fresh one if it went stale)."""
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        reused = conn is not None
        while True:
            if conn is None:
                conn = self._connection()
                self._open.add(conn)
            try:
                result = self._post(conn, note)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._open.discard(conn)
                self._local.conn = conn = None
                # The receiver may close an idle kept-alive connection at any time:
                # a failure on one is retried once, at once, on a new connection.
                if reused and isinstance(exc, ConnectionError | http.client.RemoteDisconnected):
                    reused = False
                    continue
                return DeliveryResult(note.idempotency_key, Outcome.RETRY, _describe(exc))
            if conn.sock is None:  # the receiver asked to close it
                self._open.discard(conn)
                conn = None
            self._local.conn = conn
            return result

    def _post(self, conn: http.client.HTTPConnection, note: Notification) -> DeliveryResult:
        body = webhook_body(note)
        timestamp = int(self._clock().timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": self._user_agent,
            "webhook-id": note.idempotency_key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                self._keys, note.idempotency_key, timestamp, body
            ),
        }
        if conn.sock is None:  # a new connection: connect timeout, then the read timeout
            conn.connect()
            assert conn.sock is not None  # noqa: S101 - connect() sets it
            conn.sock.settimeout(self._read_timeout)
        conn.request("POST", self._path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(_MAX_RESPONSE)
        if response.will_close or not response.isclosed():
            conn.close()
        status = response.status
        key = note.idempotency_key
        if 200 <= status < 300:
            return DeliveryResult(key, Outcome.DELIVERED, f"HTTP {status}", status)
        if status == 410:
            return DeliveryResult(
                key,
                Outcome.DISABLE_ENDPOINT,
                "HTTP 410 Gone: the receiver removed this endpoint",
                status,
            )
        return DeliveryResult(key, Outcome.RETRY, f"HTTP {status}", status)

    @classmethod
    def from_config(cls, config: ChannelConfig, secrets: ChannelSecrets) -> WebhookChannel:
        """The ``webhook`` spec's factory (options in docs/notifications.md)."""
        config.only("url", "secrets", "connect_timeout", "read_timeout")
        return cls(
            config.name,
            url=config.option("url", str),
            secrets=secrets.all("secrets"),
            connect_timeout=config.option("connect_timeout", float, 5.0),
            read_timeout=config.option("read_timeout", float, 15.0),
            suppression=config.suppression,
        )


def _close_all(connections: set[http.client.HTTPConnection]) -> None:
    for conn in list(connections):
        conn.close()
        connections.discard(conn)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"connection failed ({type(exc).__name__})"
