"""Benchmark: support-form submissions per second through the web front, served by uvicorn.

Ours: ``relationship_core.web.app`` on an SQLite file (WAL,
``synchronous=NORMAL``), served by uvicorn (one process) on loopback; each
POST is checked (CSRF, body size, honeypot, fields), counted against the
per-address and per-e-mail rate limits (two windows in the store) and becomes
a ticket through ``SupportService.submit`` (the address is a known contact,
so: the ticket and its ``ticket.opened`` event).

Bare: a plain ASGI handler behind the same middleware (`Guard`), served the
same way, which checks the same CSRF token, parses the body and writes the
same rows with ``sqlite3`` (same pragmas) in one transaction: both rate-limit
windows, the ticket (JSON) and its event row.

Ceiling: a no-op endpoint behind the same middleware, the load generator's
own limit. The load generator keeps a fixed number of keep-alive connections
busy for a bounded time (30 s, ``--quick`` 2 s) and counts 200 answers; the
rows stored are checked against them afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

SECRET = "bench-secret-" + "x" * 40
EMAIL = "ada@example.com"
FORM = {"name": "Ada", "email": EMAIL, "product": "Kettle", "problem": "It leaks.",
        "priority": "normal"}  # fmt: skip


def _settings() -> Any:
    from relationship_core.web import RateLimit, WebSettings

    lots = RateLimit(10**9, timedelta(hours=1))
    return WebSettings(
        secret_key=SECRET, base_url="http://127.0.0.1", secure_cookies=False,
        per_address=lots, per_email=lots,
    )  # fmt: skip


def _url(db: Path) -> str:
    return f"sqlite:///{db}?synchronous=normal"


def prepare(db: Path) -> None:
    """The store's schema and the known contact."""
    import relationship_core as rc
    from relationship_core._support import FormSubmission

    with rc.open(_url(db), config={"lifecycle": {"follow_engagements": False}}) as crm:
        rc.SupportService(crm).submit(FormSubmission(name="Ada", email=EMAIL, problem="first"))


def ours_app(db: Path) -> Any:
    import relationship_core as rc
    from relationship_core._notify import MemoryChannel
    from relationship_core.web import app

    crm = rc.open(_url(db), config={"lifecycle": {"follow_engagements": False}})
    return app(crm, channel=MemoryChannel(), settings=_settings())


def _guarded(handler: Any) -> Any:
    from relationship_core.web._guard import Guard

    return Guard(handler, max_body=_settings().max_body)


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def bare_app(db: Path) -> Any:
    from itsdangerous import BadData, URLSafeTimedSerializer

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    lock = threading.Lock()
    csrf = URLSafeTimedSerializer(SECRET, salt="csrf")
    [(party_id,)] = conn.execute("SELECT f_party_id FROM rc_rec_support_contact").fetchall()

    def window(scope: str, key: str, now: datetime) -> None:
        start = int(now.timestamp()) // 3600 * 3600
        wid = f"{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}:{start}"
        ends = datetime.fromtimestamp(start + 3600, UTC).isoformat()
        row = conn.execute("SELECT data, version FROM rc_rec_web_rate_window WHERE id = ?", (wid,))
        found = row.fetchone()
        if found is None:
            data = json.dumps({"id": wid, "scope": scope, "count": 1, "ends_at": ends})
            conn.execute(
                "INSERT INTO rc_rec_web_rate_window (id, version, schema_version, data, f_ends_at)"
                " VALUES (?, 1, 1, ?, ?)", (wid, data, ends))  # fmt: skip
        else:
            data = json.loads(found[0])
            data["count"] += 1
            conn.execute(
                "UPDATE rc_rec_web_rate_window SET data = ?, version = version + 1 WHERE id = ?",
                (json.dumps(data), wid),
            )

    def write(form: dict[str, str], peer: str) -> str:
        now = datetime.now(UTC)
        tid = uuid.uuid4().hex
        doc = {**form, "id": tid, "status": "new", "created_at": now.isoformat(),
               "party_id": party_id, "channel": "form", "type": "question"}  # fmt: skip
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            window("form.address", peer, now)
            window("form.email", form["email"].lower(), now)
            conn.execute(
                "INSERT INTO rc_rec_ticket (id, version, schema_version, data, f_party_id,"
                " f_status, f_closed, f_priority, f_type, f_team, f_assignee, f_created_at)"
                " VALUES (?, 1, 1, ?, ?, 'new', 0, ?, 'question', 'support', NULL, ?)",
                (tid, json.dumps(doc), party_id, form["priority"], now.isoformat()),
            )
            conn.execute(
                "INSERT INTO rc_events (type, aggregate_kind, aggregate_id, occurred_at, data)"
                " VALUES ('ticket.opened', 'ticket', ?, ?, ?)",
                (tid, now.isoformat(), json.dumps({"ticket_id": tid})),
            )
            conn.execute("COMMIT")
        return tid

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        if scope["method"] == "GET":
            await _answer(send, 200, f'<input name="csrf" value="{csrf.dumps("n")}">'.encode())
            return
        fields = {k: v[0] for k, v in parse_qs((await _body(receive)).decode()).items()}
        cookie = dict(scope["headers"]).get(b"cookie", b"").decode()
        try:
            ok = csrf.loads(fields.get("csrf", "")) == "n" and "rc_csrf=n" in cookie
        except BadData:
            ok = False
        if not ok or fields.get("website") or not fields.get("problem"):
            await _answer(send, 403, b"no")
            return
        from starlette.concurrency import run_in_threadpool

        tid = await run_in_threadpool(write, fields, scope["client"][0])
        await _answer(send, 200, f'<strong class="reference">{tid}</strong>'.encode())

    return _guarded(handler)


def noop_app() -> Any:
    async def handler(scope: Any, receive: Any, send: Any) -> None:
        await _body(receive)
        await _answer(send, 200, b"ok")

    return _guarded(handler)


def serve(side: str, db: Path, port: int) -> None:
    import uvicorn

    app = {"ours": lambda: ours_app(db), "bare": lambda: bare_app(db), "noop": noop_app}[side]()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load(port: int, seconds: float, workers: int, cookie: str) -> tuple[int, int]:
    """(answers 200, others) from *workers* keep-alive connections for *seconds*."""
    deadline = time.monotonic() + seconds
    counts = [0, 0]
    lock = threading.Lock()
    statuses: list[int] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/", headers={"cookie": cookie})
        page = conn.getresponse()
        text = page.read().decode()
        jar = page.getheader("set-cookie") or ""
        found = re.search(r"rc_csrf=([^;]+)", jar)
        cookies = f"rc_csrf={found.group(1)}" if found else cookie
        token = re.search(r'name="csrf" value="([^"]+)"', text)
        body = urlencode({**FORM, "csrf": token.group(1) if token else ""})
        headers = {"content-type": "application/x-www-form-urlencoded", "cookie": cookies}
        ok = bad = 0
        while time.monotonic() < deadline:
            conn.request("POST", "/", body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status == 200:
                ok += 1
            else:
                bad += 1
                with lock:
                    statuses.append(answer.status)
        conn.close()
        with lock:
            counts[0] += ok
            counts[1] += bad

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if statuses:
        print(f"  answers other than 200: {sorted(set(statuses))}", file=sys.stderr)
    return counts[0], counts[1]


def run(side: str, db: Path, seconds: float, workers: int) -> float:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, __file__, "--serve", side, "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(cmd, env=env)  # noqa: S603 - this script, by its own path
    try:
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.05)
        before = _tickets(db)
        started = time.perf_counter()
        ok, bad = load(port, seconds, workers, "rc_csrf=n")
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    if bad:
        raise SystemExit(f"{side}: {bad} requests were not answered 200")
    if side != "noop" and _tickets(db) - before != ok:
        raise SystemExit(f"{side}: {ok} answers but {_tickets(db) - before} tickets stored")
    return ok / elapsed


def _tickets(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        count: int = conn.execute("SELECT count(*) FROM rc_rec_ticket").fetchone()[0]
        return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per side (CI smoke run)")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--workers", type=int, default=8, help="concurrent connections")
    parser.add_argument("--serve", choices=["ours", "bare", "noop"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
        return
    seconds = args.seconds or (2.0 if args.quick else 30.0)
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for side in ("ours", "bare", "noop"):
            db = Path(folder) / f"{side}.db"
            prepare(db)
            results[side] = run(side, db, seconds, args.workers)
    ours, bare, noop = results["ours"], results["bare"], results["noop"]
    print(f"web form submissions, uvicorn on loopback, {args.workers} connections, {seconds:g} s")
    print(f"  ours (relationship_core.web): {ours:8.0f} submissions/s ({1000 / ours:.2f} ms each)")
    print(f"  bare ASGI + sqlite3:          {bare:8.0f} submissions/s ({1000 / bare:.2f} ms each)")
    print(f"  load generator ceiling (no-op): {noop:6.0f} requests/s")
    print(f"  ratio (bare / ours): {bare / ours:.2f}x (goal: within 3x)")


if __name__ == "__main__":
    main()
