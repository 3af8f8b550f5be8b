"""Benchmark: erasing one party from a store of many, against reading the whole store once.

An erasure must read every record, event and job (a party is quoted in
records other writers made), so its lower bound is one full read of the
store. The store: N people, each with an engagement and three interactions
(one of which mentions the next person by name), so every erasure also finds
a mention elsewhere. ours = `erase_party` on one person (redaction, the log
rewrite and, on SQLite, VACUUM + WAL checkpoint); comparison = reading every
record of every kind and every event, as JSON. The ratio is the price of the
erasure over the unavoidable scan.

Run ``python benchmarks/bench_privacy.py`` (5,000 people, SQLite) or
``--quick`` (500); ``--url`` picks another store (``memory://``, a
``postgresql://…?schema=…``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import relationship_core as rc
from relationship_core._privacy import raw
from relationship_core._privacy.party_records import all_records
from relationship_core.privacy import erase_party

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def fill(crm: rc.CRM, people: int) -> list[str]:
    ids = []
    batch = 200
    for start in range(0, people, batch):
        with crm.unit_of_work() as uow:
            for n in range(start, min(start + batch, people)):
                p = rc.Person(
                    name=f"Person Number{n}", emails=[f"p{n}@example.org"], phone=f"+4420{n:08d}"
                )
                uow.parties.add(p)
                e = rc.Engagement.start(
                    p, kind="customer", acquired_on=T0.date(), at=T0, support_team="desk"
                )
                uow.engagements.add(e)
                for k in range(3):
                    text = f"talked to Person Number{n + 1}" if k == 0 else f"note {k}"
                    e.log_interaction("call", at=T0 + timedelta(hours=k), summary=text)
                ids.append(p.id)
    return ids


def full_read(crm: rc.CRM) -> int:
    size = 0
    for mapping in crm.registry:
        for record in all_records(crm.backend, mapping.kind):
            size += len(json.dumps(record.data))
    for event in raw.all_events(crm.backend):
        size += len(json.dumps(event.data))
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 people (CI smoke run)")
    parser.add_argument("--url", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    people = 500 if args.quick else 5000
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    with rc.open(url) as crm:
        ids = fill(crm, people)
        full_read(crm)  # warm the cache for both sides alike
        started = time.perf_counter()
        full_read(crm)
        scan = time.perf_counter() - started
        started = time.perf_counter()
        report = erase_party(crm, ids[people // 2], "benchmark")
        ours = time.perf_counter() - started
    print(f"store: {url.split('?')[0].split('://')[0]}, {people} people (5 records each)")
    print(f"redacted: {report.redacted}; storage: {report.storage}")
    print(f"ours (erase_party):      {ours * 1000:9.1f} ms")
    print(f"comparison (full read):  {scan * 1000:9.1f} ms")
    print(f"ratio:                   {ours / scan:9.2f}x")


if __name__ == "__main__":
    main()
