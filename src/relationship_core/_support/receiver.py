"""`MailReceiver`: an SMTP or LMTP server (aiosmtpd, the ``inbound`` extra) feeding `MailIntake`."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Any

from relationship_core._support.inbound import MailIntake
from relationship_core.exceptions import (
    BackendUnavailableError,
    MissingExtraError,
    RelationshipCoreError,
    ValidationError,
)

__all__ = ["MailReceiver"]


def _reply(code: str, text: str) -> str:
    """One SMTP reply line: no line breaks, bounded."""
    flat = " ".join(text.split())
    return f"{code} {flat[:300]}"


class _Handler:
    def __init__(self, intake: MailIntake) -> None:
        self.intake = intake

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        data = envelope.original_content or envelope.content or b""
        try:
            outcome = self.intake.receive(bytes(data))
        except ValidationError as exc:
            code = "552 5.3.4" if exc.field == "message" and "larger" in exc.reason else "550 5.6.0"
            return _reply(code, f"refused, nothing stored: {exc}")
        except BackendUnavailableError:
            return _reply("451 4.3.0", "the store is unavailable; try again later")
        except RelationshipCoreError as exc:
            return _reply("554 5.6.0", f"refused, nothing stored: {type(exc).__name__}")
        what = "duplicate of" if outcome.duplicate else "stored in"
        return _reply("250 2.0.0", f"{what} ticket {outcome.ticket_id}")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class MailReceiver:
    """Receive mail over SMTP (or LMTP) and store it with a `MailIntake`.

    Every message is answered after it is stored: ``250`` naming its ticket,
    ``550``/``552`` with the reason when it was refused (nothing stored), or
    ``451`` when the store is unavailable (the sender retries). Use it as a
    context manager, or `start` and `stop`; it runs in a thread of its own.

    Args:
        intake: Where messages go.
        host: The address to listen on (default loopback).
        port: The port (``None``: a free one, see `port`).
        lmtp: Speak LMTP (behind an MTA such as Postfix) instead of SMTP.
    """

    def __init__(
        self,
        intake: MailIntake,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        lmtp: bool = False,
    ) -> None:
        if not isinstance(intake, MailIntake):
            raise ValidationError("intake", intake, "give a MailIntake")
        if not isinstance(host, str) or not host:
            raise ValidationError("host", host, "give an address to listen on")
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
        ):
            raise ValidationError("port", port, "a port from 1 to 65535, or None")
        self.intake = intake
        self.host = host
        self.port = port or _free_port(host)
        self.lmtp = bool(lmtp)
        self._controller: Any = None

    def start(self) -> MailReceiver:
        """Start listening (returns immediately)."""
        try:
            from aiosmtpd.controller import Controller
            from aiosmtpd.lmtp import LMTP
        except ImportError:  # pragma: no cover - the extra is installed in tests
            raise MissingExtraError("MailReceiver", "inbound", "aiosmtpd") from None
        lmtp = self.lmtp

        class _Controller(Controller):
            def factory(self) -> Any:
                if lmtp:
                    return LMTP(self.handler, **self.SMTP_kwargs)
                return super().factory()  # type: ignore[no-untyped-call]

        limit = self.intake.max_bytes
        self._controller = _Controller(
            _Handler(self.intake), hostname=self.host, port=self.port, data_size_limit=limit
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
