"""Benchmark: webhooks delivered through the outbox and runner against a hand-written outbox.

Both deliver the same N notifications to the same real HTTP receiver on loopback (its own
process, HTTP/1.1 keep-alive, answers 204), from the same SQLite file settings (WAL,
``synchronous`` as given), with the same claim batch and the same thread count:

* **ours**: `Notifications.notify` queues each (stored rendered, a job on ``notify.webhook``,
  untimed); `Runner` claims jobs and runs the handler: load the notification and the
  endpoint, sign (Standard Webhooks), POST, mark sent, complete the job, commit.
* **hand-written**: a table of pending rows on the raw ``sqlite3`` driver; each worker claims
  a batch (``BEGIN IMMEDIATE``, select due rows, set a lease, commit), then per row signs with
  the same function, POSTs over ``http.client`` and marks it sent in its own commit.

Only delivery is timed. The receiver checks that every id arrived exactly once.

Run ``python benchmarks/bench_outbox.py`` (10,000 webhooks, 1 and 4 workers) or ``--quick``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()
BATCH = 10


def _receiver(port_out: Any, stop: Any) -> None:
    seen: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            key = self.headers.get("webhook-id", "")
            if not self.headers.get("webhook-signature", "").startswith("v1,"):
                self.send_response(400)
            else:
                with lock:
                    seen[key] = seen.get(key, 0) + 1
                self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                body = json.dumps({"ids": len(seen), "posts": sum(seen.values())}).encode()
                if self.path == "/reset":
                    seen.clear()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()


def _get(port: int, path: str) -> dict[str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    data: dict[str, int] = json.loads(conn.getresponse().read())
    conn.close()
    return data


def ours(n: int, workers: int, port: int, folder: Path, synchronous: str) -> tuple[float, float]:
    import relationship_core as rc
    from relationship_core._app.outbox.service import Notifications
    from relationship_core._notify import EventType, Recipient, load_template
    from relationship_core._notify.sandbox import RenderLimits

    os.environ["BENCH_HOOK_SECRET"] = SECRET
    url = f"sqlite:///{folder / f'ours-{workers}.db'}?synchronous={synchronous}"
    hook = {
        "type": "webhook",
        "url": f"http://127.0.0.1:{port}/hook",
        "secrets": {"env": "BENCH_HOOK_SECRET"},
    }
    crm = rc.open(url, config={"notify": {"channels": {"hooks": hook}}})
    outbox = Notifications(crm)
    template = load_template(
        EventType("invoice.paid", {"n": int}),
        subject="paid {{ n }}",
        text="{{ n }}",
        category="transactional",
        limits=RenderLimits(max_seconds=5.0),  # setup, not timed: a loaded machine stalls a render
    )
    for start in range(0, n, 500):
        with crm.unit_of_work() as uow:
            for i in range(start, min(n, start + 500)):
                outbox.notify(
                    uow,
                    channel="hooks",
                    to=Recipient(),
                    template=template,
                    context={"n": i},
                    key=f"ours-{workers}-{i}",
                    payload={"invoice": f"INV-{i}", "amount": "120.00"},
                )
    runner = rc.Runner(crm, queues=["notify.webhook"], worker="bench", batch=BATCH)
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    def seen(_: object) -> None:
        with lock:
            count[0] += 1
            if count[0] >= n:
                done.set()

    t0, c0 = time.perf_counter(), time.process_time()
    if workers == 1:
        runner.drain(on_result=seen)
    else:
        watcher = threading.Thread(
            target=runner.run,
            args=(done,),
            kwargs={"concurrency": workers, "poll": 0.01, "on_result": seen},
        )
        watcher.start()
        watcher.join()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    sent = sum(1 for note in crm.repository("notification").iterate() if note.status == "sent")
    crm.close()
    assert sent == n, f"ours sent {sent} of {n}"
    return elapsed, cpu


def hand_written(
    n: int, workers: int, port: int, folder: Path, synchronous: str
) -> tuple[float, float]:
    from relationship_core._notify.secrets import Secret
    from relationship_core._notify.signing import signature_header, signing_key

    path = folder / f"hand-{workers}.db"
    keys = (signing_key(Secret(SECRET)),)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, body BLOB NOT NULL, due REAL NOT NULL,"
        " status TEXT NOT NULL, lease_until REAL, sent_at REAL)"
    )
    db.execute("CREATE INDEX outbox_due ON outbox (status, due)")
    now = time.time()
    db.execute("BEGIN")
    for i in range(n):
        body = json.dumps(
            {
                "type": "invoice.paid",
                "timestamp": "2026-01-05T09:00:00Z",
                "data": {"invoice": f"INV-{i}", "amount": "120.00"},
            },
            separators=(",", ":"),
        ).encode()
        db.execute(
            "INSERT INTO outbox VALUES (?, ?, ?, 'pending', NULL, NULL)",
            (f"hand-{workers}-{i}", body, now),
        )
    db.execute("COMMIT")
    db.close()

    def work() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        while True:
            conn.execute("BEGIN IMMEDIATE")
            t = time.time()
            rows = conn.execute(
                "SELECT id, body FROM outbox WHERE status = 'pending' AND due <= ?"
                " AND (lease_until IS NULL OR lease_until < ?) ORDER BY due"
                " LIMIT ?",
                (t, t, BATCH),
            ).fetchall()
            conn.executemany(
                "UPDATE outbox SET lease_until = ? WHERE id = ?", [(t + 300, r[0]) for r in rows]
            )
            conn.execute("COMMIT")
            if not rows:
                break
            for key, body in rows:
                stamp = int(time.time())
                http_conn.request(
                    "POST",
                    "/hook",
                    body=body,
                    headers={
                        "content-type": "application/json",
                        "webhook-id": key,
                        "webhook-timestamp": str(stamp),
                        "webhook-signature": signature_header(keys, key, stamp, body),
                    },
                )
                response = http_conn.getresponse()
                response.read()
                if 200 <= response.status < 300:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(
                        "UPDATE outbox SET status = 'sent', sent_at = ?,"
                        " lease_until = NULL WHERE id = ?",
                        (time.time(), key),
                    )
                    conn.execute("COMMIT")
        http_conn.close()
        conn.close()

    t0, c0 = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    check = sqlite3.connect(path)
    sent = check.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    check.close()
    assert sent == n, f"hand-written sent {sent} of {n}"
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 webhooks instead of 10,000")
    parser.add_argument("-n", type=int, default=None)
    parser.add_argument("--synchronous", default="normal", choices=["normal", "full"])
    args = parser.parse_args()
    n = args.n or (1_000 if args.quick else 10_000)
    queue: Any = multiprocessing.Queue()
    stop: Any = multiprocessing.Event()
    receiver = multiprocessing.Process(target=_receiver, args=(queue, stop), daemon=True)
    receiver.start()
    port = queue.get(timeout=10)
    print(
        f"{n:,} webhooks to a loopback receiver (own process), SQLite synchronous="
        f"{args.synchronous}, claim batch {BATCH}; {datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"{'workers':>7}  {'ours':>9}  {'hand-written':>12}  {'ours/s':>8}  {'hand/s':>8}  ratio"
        "   cpu ms/msg ours / hand (ratio)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 4):
            _get(port, "/reset")
            a, cpu_a = ours(n, workers, port, Path(tmp), args.synchronous)
            got = _get(port, "/reset")
            assert got == {"ids": n, "posts": n}, got
            b, cpu_b = hand_written(n, workers, port, Path(tmp), args.synchronous)
            got = _get(port, "/reset")
            assert got == {"ids": n, "posts": n}, got
            print(
                f"{workers:>7}  {a:>8.2f}s  {b:>11.2f}s  {n / a:>8,.0f}  {n / b:>8,.0f}"
                f"  {a / b:.2f}x   {cpu_a / n * 1e3:.3f} / {cpu_b / n * 1e3:.3f}"
                f" ({cpu_a / cpu_b:.2f}x)"
            )
    stop.set()
    receiver.join(5)


if __name__ == "__main__":
    main()
