"""Benchmark: tickets from form submissions through the support service, against raw sqlite3.

Ours: ``SupportService.submit`` for N submissions on an SQLite file (WAL,
``synchronous=NORMAL``), one unit of work each: the address looked up in the
support contacts and the parties' e-mail index, a new `Person`, its customer
engagement and its support contact for a new address (half the submissions
come from an address seen before), the ticket, its events and its four SLA
timer jobs (group ``sla:<ticket>``), then the SLA state of every ticket.

By hand: the same durable work written directly against ``sqlite3``, same
pragmas, one ``BEGIN IMMEDIATE`` transaction per submission: select the
contact, select the party by e-mail, insert party, engagement and contact
rows when new, insert the ticket (JSON), its ``ticket.opened`` event row (and the new
engagement's ``engagement.started`` row, which ours logs too), and
four timer job rows whose instants come from the same `WorkingCalendar`
arithmetic; then the SLA state of every ticket from its stored row. Both
sides store the same number of tickets, parties, events and jobs (asserted).

Run ``python benchmarks/bench_support.py`` (100,000 submissions) or with
``--quick`` (2,000).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relationship_core import FormSubmission, ManualClock, SlaPolicy, SupportService
from relationship_core._app.facade import open_store
from relationship_core._domain.business import Business
from relationship_core._support.sla import SlaTarget, sla_state

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POLICY = SlaPolicy(name="std", first_response=timedelta(hours=4), resolution=timedelta(hours=16))
BUSINESS = Business.create("bench", time_zone="Europe/London")
NEAR = 4 / 5


def _forms(count: int) -> list[FormSubmission]:
    return [
        FormSubmission(
            name=f"Customer {i // 2}",
            email=f"c{i // 2}@example.com",  # every address writes twice
            problem="The parcel has not arrived.",
            priority="high" if i % 3 == 0 else "normal",
        )
        for i in range(count)
    ]


def ours(path: Path, forms: list[FormSubmission]) -> tuple[float, float, dict[str, int]]:
    clock = ManualClock(T0)
    # Support intake alone: the lifecycle feature's reaction to each new customer (a stage
    # move and its event) is switched off, so both sides write the same rows.
    config = {"lifecycle": {"follow_engagements": False}}
    with open_store(f"sqlite:///{path}?synchronous=normal", clock=clock, config=config) as crm:
        support = SupportService(crm, business=BUSINESS, policies=[POLICY])
        start = time.perf_counter()
        for form in forms:
            support.submit(form)
        intake = time.perf_counter() - start
        start = time.perf_counter()
        now = T0 + timedelta(days=1)
        first = (SlaTarget.FIRST_RESPONSE,)  # the question the hand loop answers
        breached = sum(
            sla_state(t, POLICY, BUSINESS.calendar, now, targets=first)
            .target(SlaTarget.FIRST_RESPONSE)
            .breached
            for t in support.tickets.iterate()
        )
        sla = time.perf_counter() - start
        counts = {
            "tickets": sum(1 for _ in support.tickets.iterate()),
            "parties": sum(1 for _ in crm.parties.iterate()),
            "jobs": crm.jobs.stats()["support.sla"].pending,
            "events": _count_events(crm.backend),
            "breached": breached,
        }
    return intake, sla, counts


def _count_events(backend: Any) -> int:
    count, after = 0, 0
    while page := backend.read_events(after, limit=10_000):
        count, after = count + len(page), page[-1].seq
    return count


_SCHEMA = """
CREATE TABLE party (id TEXT PRIMARY KEY, version INT, email TEXT, data TEXT);
CREATE INDEX party_email ON party(email);
CREATE TABLE engagement (id TEXT PRIMARY KEY, version INT, party_id TEXT, data TEXT);
CREATE INDEX engagement_party ON engagement(party_id);
CREATE TABLE support_contact (id TEXT PRIMARY KEY, version INT, party_id TEXT);
CREATE TABLE ticket (id TEXT PRIMARY KEY, version INT, party_id TEXT, status TEXT,
                     priority TEXT, created_at TEXT, data TEXT);
CREATE INDEX ticket_party ON ticket(party_id);
CREATE INDEX ticket_status ON ticket(status);
CREATE TABLE event (seq INTEGER PRIMARY KEY, name TEXT, aggregate_id TEXT, at TEXT, data TEXT);
CREATE TABLE job (id TEXT PRIMARY KEY, queue TEXT, grp TEXT, due_at TEXT, state TEXT,
                  payload TEXT);
CREATE INDEX job_due ON job(state, due_at);
CREATE INDEX job_group ON job(grp);
"""


def by_hand(path: Path, forms: list[FormSubmission]) -> tuple[float, float, dict[str, int]]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    calendar = BUSINESS.calendar
    now = T0
    start = time.perf_counter()
    for form in forms:
        key = str(form.email).strip().lower()
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT party_id FROM support_contact WHERE id = ?", (key,)).fetchone()
        if row is None:
            found = db.execute(
                "SELECT id FROM party WHERE email = ?", (str(form.email),)
            ).fetchone()
            party = found[0] if found else uuid.uuid4().hex
            if not found:
                doc = {"type": "person", "name": form.name, "emails": [str(form.email)]}
                db.execute(
                    "INSERT INTO party VALUES (?, 1, ?, ?)",
                    (party, str(form.email), json.dumps(doc)),
                )
                engagement = {"kind": "customer", "support_team": "support", "at": now.isoformat()}
                eid = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO engagement VALUES (?, 1, ?, ?)",
                    (eid, party, json.dumps(engagement)),
                )
                # Ours logs the new engagement's engagement.started event: so does this loop.
                db.execute(
                    "INSERT INTO event (name, aggregate_id, at, data)"
                    " VALUES ('engagement.started', ?, ?, ?)",
                    (eid, now.isoformat(), json.dumps({"party_id": party, "kind": "customer"})),
                )
            db.execute("INSERT INTO support_contact VALUES (?, 1, ?)", (key, party))
        else:
            party = row[0]
        tid = uuid.uuid4().hex
        ticket: dict[str, object] = {
            "name": form.name, "email": str(form.email), "problem": form.problem,
            "priority": form.priority.value, "type": form.type.value, "channel": "form",
            "status": "new", "created_at": now.isoformat(), "history": [], "responses": [],
        }  # fmt: skip
        db.execute(
            "INSERT INTO ticket VALUES (?, 1, ?, 'new', ?, ?, ?)",
            (tid, party, form.priority.value, now.isoformat(), json.dumps(ticket)),
        )
        opened = {"channel": "form", "priority": form.priority.value, "email": str(form.email)}
        db.execute(
            "INSERT INTO event (name, aggregate_id, at, data) VALUES ('ticket.opened', ?, ?, ?)",
            (tid, now.isoformat(), json.dumps(opened)),
        )
        db.execute("UPDATE job SET state = 'cancelled' WHERE grp = ? AND state = 'pending'", (tid,))
        for target, goal in (
            ("first_response", POLICY.first_response),
            ("resolution", POLICY.resolution),
        ):
            assert goal is not None
            for kind, amount in (("near_breach", goal * NEAR), ("breach", goal)):
                due = calendar.add_working_time(now, amount)
                payload = {"ticket": tid, "target": target, "kind": kind, "at": due.isoformat()}
                db.execute(
                    "INSERT INTO job VALUES (?, 'support.sla', ?, ?, 'pending', ?)",
                    (uuid.uuid4().hex, f"sla:{tid}", due.isoformat(), json.dumps(payload)),
                )
        db.execute("COMMIT")
    intake = time.perf_counter() - start
    start = time.perf_counter()
    at = T0 + timedelta(days=1)
    goal = POLICY.first_response
    assert goal is not None
    breached = 0
    for (data,) in db.execute("SELECT data FROM ticket"):
        doc = json.loads(data)
        opened_at = datetime.fromisoformat(doc["created_at"])
        breached += calendar.working_time_between(opened_at, at) >= goal
    sla = time.perf_counter() - start
    counts = {
        "tickets": db.execute("SELECT count(*) FROM ticket").fetchone()[0],
        "parties": db.execute("SELECT count(*) FROM party").fetchone()[0],
        "jobs": db.execute("SELECT count(*) FROM job WHERE state = 'pending'").fetchone()[0],
        "events": db.execute("SELECT count(*) FROM event").fetchone()[0],
        "breached": breached,
    }
    db.close()
    return intake, sla, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 submissions, a smoke run")
    parser.add_argument("--count", type=int, default=None)
    args = parser.parse_args()
    count = args.count or (2_000 if args.quick else 100_000)
    forms = _forms(count)
    with tempfile.TemporaryDirectory() as tmp:
        hand_intake, hand_sla, hand_counts = by_hand(Path(tmp) / "hand.db", forms)
        our_intake, our_sla, our_counts = ours(Path(tmp) / "ours.db", forms)
    if our_counts != hand_counts:
        raise SystemExit(f"the two sides disagree: ours {our_counts}, by hand {hand_counts}")
    print(f"{count:,} form submissions on SQLite (WAL, synchronous=NORMAL): {our_counts}")
    print(f"{'':<34}{'seconds':>9}{'tickets/s':>12}")
    for label, seconds in (
        ("SupportService.submit", our_intake),
        ("raw sqlite3 by hand", hand_intake),
        ("SLA state, ours", our_sla),
        ("SLA state, by hand", hand_sla),
    ):
        print(f"{label:<34}{seconds:>9.2f}{count / seconds:>12,.0f}")
    print(f"ratio intake (ours / by hand): {our_intake / hand_intake:.2f}x")
    print(f"ratio SLA state (ours / by hand): {our_sla / hand_sla:.2f}x")
    total = (our_intake + our_sla) / (hand_intake + hand_sla)
    print(f"ratio total (ours / by hand): {total:.2f}x")


if __name__ == "__main__":
    main()
