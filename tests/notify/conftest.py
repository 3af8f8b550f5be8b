"""Real servers on loopback for the channel tests: aiosmtpd and http.server."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from relationship_core._notify import Category, Notification, Recipient, Unsubscribe

USER = "mailer"
PASSWORD = "s3cr3t-smtp-pw"  # noqa: S105 - test credential, grepped for in error output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def note(
    key: str = "k-1",
    *,
    address: str = "ada@example.com",
    name: str = "Ada Lovelace",
    subject: str = "Invoice INV-1",
    category: Category = Category.TRANSACTIONAL,
    html: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Notification:
    return Notification(
        idempotency_key=key,
        event_type="invoice.issued",
        recipient=Recipient(address=address, name=name),
        subject=subject,
        text="Your invoice is ready.\n",
        html=html,
        category=category,
        created_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        payload=payload or {"invoice": "INV-1"},
        unsubscribe=Unsubscribe(url="https://example.com/u/1", mailto="unsub@example.com")
        if category is Category.MARKETING
        else None,
    )


@dataclass
class Mailbox:
    envelopes: list[Envelope] = field(default_factory=list)
    sessions: set[int] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        self.sessions.add(id(session))
        return "250 Message accepted"


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    cafile: Path | None = None


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_tls(server: SmtpServer | Path) -> ssl.SSLContext:
    cafile = server.cafile if isinstance(server, SmtpServer) else server
    return ssl.create_default_context(cafile=str(cafile))


def _run(controller: Controller) -> Iterator[None]:
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture
def smtp_plain() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    for _ in _run(controller):
        yield SmtpServer(port, mailbox)


@pytest.fixture
def smtp_starttls(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    for _ in _run(controller):
        yield SmtpServer(port, mailbox, certificate[0])


@pytest.fixture
def smtp_tls(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        ssl_context=_server_tls(certificate),
        authenticator=_authenticate,
        auth_require_tls=False,  # the whole connection is TLS; aiosmtpd cannot tell
    )
    for _ in _run(controller):
        yield SmtpServer(port, mailbox, certificate[0])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    connections: set[tuple[str, int]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    state = HttpServer(0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            state.connections.add(self.client_address)
            if state.delay:
                time.sleep(state.delay)
            reply = b"{}"
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the timeout test's client hangs up before the reply: expected

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each backend, PostgreSQL included (for the few cases that need it)."""
    return _store_url(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "sqlite"])
def local_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh memory or SQLite store."""
    return _store_url(request.param, request, tmp_path)
