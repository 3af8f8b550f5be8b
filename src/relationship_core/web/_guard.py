"""Defences around every request: body size, security headers, client address, rate limits."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relationship_core._app.facade import CRM
from relationship_core._app.uow import Repository
from relationship_core._domain.actor import Actor
from relationship_core.exceptions import ConflictError
from relationship_core.web._kinds import RateWindow
from relationship_core.web._settings import RateLimit, WebSettings

__all__ = ["Guard", "RateLimiter", "client_address"]

log = logging.getLogger("relationship_core.web")

#: Tries to count a request when other requests update the same window at once.
_ATTEMPTS = 20

_HEADERS = [
    (
        b"content-security-policy",
        (
            b"default-src 'none'; style-src 'self'; img-src 'self'; "
            b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # sign-in and survey tokens are in URLs
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class _TooLargeError(Exception):
    pass


class Guard:
    """ASGI middleware: refuses bodies over ``max_body`` (413) and adds security headers."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(send)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLargeError
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in _HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except _TooLargeError:
            if not started:
                await _refuse(send)


async def _refuse(send: Send) -> None:
    body = b"Request body too large."
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def client_address(scope: Scope, settings: WebSettings) -> str:
    """The client's address: the peer, or behind trusted proxies the last untrusted hop."""
    peer = str((scope.get("client") or ("unknown", 0))[0])
    if not settings.trusted_proxies or not _trusted(peer, settings):
        return str(peer)
    forwarded = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    hops: list[str] = [h.strip() for line in forwarded for h in line.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return str(peer)  # a forged or broken header: fall back to the proxy itself
        if not _trusted(hop, settings):
            return hop
    return str(peer)


def _trusted(address: str, settings: WebSettings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in settings.trusted_proxies)


class RateLimiter:
    """Fixed-window counters kept in the store, so every server process shares them."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def hit(self, scope: str, key: str, limit: RateLimit) -> timedelta | None:
        """Count one request; the time to wait when over *limit* (``None``: allowed)."""
        return self.hit_all([(scope, key, limit)])

    def hit_all(self, hits: Sequence[tuple[str, str, RateLimit]]) -> timedelta | None:
        """Count one request against several limits in one unit of work.

        Returns the longest wait among the limits it is over (``None``: under all
        of them); a window already full is not counted further.
        """
        now = self.crm.clock.now().astimezone(UTC)
        windows = [_window(scope, key, limit, now) for scope, key, limit in hits]
        for attempt in range(_ATTEMPTS):
            try:
                with self.crm.unit_of_work(actor=Actor.system()) as uow:
                    return _count(uow.repository(RateWindow), windows, now)
            except ConflictError:  # another request counted first: count again
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 - jitter
        # Still contended after every attempt: let it through rather than refuse a client
        # because others are busy (each of those others was counted).
        log.warning("rate limit: counters contended, request let through")
        return None


def _window(
    scope: str, key: str, limit: RateLimit, now: datetime
) -> tuple[str, str, int, datetime]:
    size = int(limit.window.total_seconds())
    start = int(now.timestamp()) // size * size
    # The key (an address, an e-mail) is stored hashed: the counters hold no personal data.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return (
        f"{scope}:{digest}:{start}",
        scope,
        limit.requests,
        datetime.fromtimestamp(start + size, UTC),
    )


def _count(
    repository: Repository[RateWindow],
    windows: Sequence[tuple[str, str, int, datetime]],
    now: datetime,
) -> timedelta | None:
    wait: timedelta | None = None
    for wid, scope, requests, ends in windows:
        window = repository.find(wid)
        if window is None:
            repository.add(RateWindow(id=wid, scope=scope, count=1, ends_at=ends))
        elif window.count >= requests:
            wait = max(wait or timedelta(0), ends - now)
        else:
            window.count += 1
            repository.update(window)
    return wait
