"""The processes of the follow-up race (run by test_follow_up_race.py).

``follow URL DIR ROUNDS`` drains the due follow-ups; ``goal URL DIR ROUNDS``
accepts the round's proposal (retrying a conflict) at a random moment. For
round *k* both wait for ``DIR/go-k`` (whose text is the deal's id), then
write ``DIR/<role>-k`` when done.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import relationship_core as rc
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._rules.followups import FOLLOW_UPS
from relationship_core.exceptions import ConflictError

LATER = datetime(2026, 4, 10, 9, tzinfo=UTC)  # every follow-up is due


def _wait(go: Path) -> str:
    deadline = time.monotonic() + 60
    while not go.exists() or not go.read_text():
        if time.monotonic() > deadline:
            raise SystemExit(f"{go} never came")
        time.sleep(0.001)
    return go.read_text()


def follow(crm: rc.CRM, clock: rc.ManualClock) -> None:
    runner = rc.Runner(crm, queues=["rules.action"], worker="follow")
    for _ in range(200):
        runner.drain()
        states = {j.state for j in crm.jobs.list_jobs(queue="rules.action")}
        if not states & {"pending", "claimed"}:
            return
        clock.advance(timedelta(hours=1))  # past a conflict's backoff
    raise SystemExit("follow-ups never settled")


def goal(crm: rc.CRM, deal: str, rng: random.Random) -> None:
    party = crm.repository(Opportunity).get(deal).party_id
    target = rng.randrange(6)  # strike while follow-up number target + 1 is in flight
    while True:
        [enrolment] = crm.repository(FOLLOW_UPS).query(subject=party).items
        if enrolment.done >= target or enrolment.status != "active":
            break
    for _ in range(100):
        try:
            with crm.unit_of_work() as uow:
                uow.repository(Opportunity).get(deal).accept_proposal(at=LATER)
        except ConflictError:
            time.sleep(0.002)
        else:
            return
    raise SystemExit("the goal never committed")


def main(role: str, url: str, folder: Path, rounds: int) -> None:
    clock = rc.ManualClock(LATER)
    rng = random.Random()
    with rc.open(url, clock=clock) as crm:
        (folder / f"ready-{role}").write_text("ok")
        for k in range(rounds):
            deal = _wait(folder / f"go-{k}")
            if role == "follow":
                follow(crm, clock)
            else:
                goal(crm, deal, rng)
            (folder / f"{role}-{k}").write_text("ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
