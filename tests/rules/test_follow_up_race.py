"""The race of a goal with due follow-ups, in two processes: no follow-up acts after the goal committed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.followups import FOLLOW_UPS
from relationship_core._work.tasks import Task

from .test_follow_ups import FRIDAY, follow_rule, send, store

SCRIPT = Path(__file__).with_name("followup_race.py")
SRC = Path(__file__).parents[2] / "src"
ROUNDS = 4


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], env=env)  # noqa: S603


def _wait(*paths: Path) -> None:
    deadline = time.monotonic() + 60
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"waiting for {paths}"
        time.sleep(0.005)


@pytest.mark.slow  # two processes racing for seconds
def test_a_goal_racing_due_follow_ups_stops_every_later_one(url: str, tmp_path: Path) -> None:
    if url == "memory://":
        pytest.skip("two processes need a shared store")
    clock = rc.ManualClock(FRIDAY)
    with store(url, clock) as crm:
        RuleEngine(crm).install(follow_rule("days = [3, 4, 5, 6, 7, 8]"))
        procs = [_spawn(role, url, str(tmp_path), str(ROUNDS)) for role in ("follow", "goal")]
        try:
            _wait(tmp_path / "ready-follow", tmp_path / "ready-goal")
            seen = []
            for k in range(ROUNDS):
                party, deal = send(crm, FRIDAY)
                (tmp_path / f"go-{k}").write_text(deal)
                _wait(tmp_path / f"follow-{k}", tmp_path / f"goal-{k}")
                [enrolment] = crm.repository(FOLLOW_UPS).query(subject=party).items
                tasks = crm.repository(Task).query(party_id=party)
                seen.append((enrolment.status, enrolment.done))
                # every stored effect was counted, and counted only while the enrolment was active
                assert len(tasks) == enrolment.done
                if enrolment.status == "ended":
                    assert enrolment.ended_by == "proposal.accepted"
                    states = [
                        j.state
                        for j in crm.jobs.list_jobs(queue="rules.action")
                        if j.payload["subject"] == party
                    ]
                    # every job settled: done (acted, or found the enrolment ended) or cancelled
                    assert states.count("done") >= enrolment.done
                    assert states.count("done") + states.count("cancelled") == enrolment.planned
                else:
                    assert (enrolment.status, enrolment.done) == ("completed", enrolment.planned)
            assert len(seen) == ROUNDS
        finally:
            for proc in procs:
                proc.wait(30)
        assert [proc.returncode for proc in procs] == [0, 0]
