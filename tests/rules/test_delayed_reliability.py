"""A worker SIGKILLed between a rule firing and its delayed action: after a restart the action ran once.

The fast variant kills one worker at a random moment; the ``slow`` one loops
over many kills. The action (``slow_action.slow_mark``) sleeps, so kills land
before, during and after it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core._rules.engine import RuleEngine
from relationship_core.plugins import PluginManager

from .slow_action import plugin

TESTS = Path(__file__).parents[1]
SRC = TESTS.parent / "src"
PLUGIN = "rules.slow_action:plugin"


def _worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
    command = [sys.executable, "-m", "relationship_core._cli", "worker", url]
    options = ["--queues", "rules.action", "--lease", "1", "--poll", "0.05", "--plugin", PLUGIN]
    return subprocess.Popen(  # noqa: S603 - our own command
        [*command, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )


def _store(url: str, clock: rc.Clock | None = None) -> rc.CRM:
    plugins = PluginManager(entry_points=False).load()
    plugins.register(plugin, name=PLUGIN)
    return rc.open(url, plugins=plugins, clock=clock)


def _fire(url: str, trace: Path, parties: int) -> list[str]:
    """Install the rule and start *parties* engagements, their events five minutes ago."""
    before = datetime.now(UTC) - timedelta(minutes=5)
    with _store(url, rc.ManualClock(before)) as crm:
        RuleEngine(crm).install(
            {
                "rules": [
                    {
                        "name": "mark later",
                        "trigger": "engagement.started",
                        "delay": "1 minutes",  # due four minutes ago: the worker runs it now
                        "actions": [
                            {"name": "slow_mark", "params": {"seconds": 0.15, "trace": str(trace)}}
                        ],
                    }
                ]
            }
        )
        ids = []
        for n in range(parties):
            party = crm.parties.add(rc.Person(name=f"P{n}"))
            crm.engagements.add(
                rc.Engagement.start(
                    party, kind="customer", acquired_on=before.date(), at=before, support_team="d"
                )
            )
            ids.append(party.id)
        return ids


def _settle(url: str, deadline: float) -> None:
    with _store(url) as crm:
        while True:
            states = {j.state for j in crm.jobs.list_jobs(queue="rules.action")}
            if states == {"done"}:
                return
            assert time.monotonic() < deadline, f"jobs left: {states}"
            time.sleep(0.05)


def _check(url: str, parties: list[str], trace: Path) -> None:
    with _store(url) as crm:
        people = crm.parties.query().items
        for party in parties:
            marks = [p for p in people if p.name == f"mark:{party}"]
            assert len(marks) == 1, (party, marks)  # ran, and once, in the store
        assert len(crm.jobs.list_jobs(queue="rules.action")) == len(parties)
    keys = trace.read_text().splitlines()
    assert len(set(keys)) == len(parties)  # outside: at least once, one key per enrolment


def _kill_and_restart(url: str, rng: random.Random, kills: int, window: float) -> None:
    worker = _worker(url)
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0, window))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            worker = _worker(url)
        _settle(url, time.monotonic() + 60)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_a_killed_worker_runs_a_delayed_action_exactly_once(url: str, tmp_path: Path) -> None:
    if url == "memory://":
        pytest.skip("worker processes need a store they can share")
    trace = tmp_path / "trace"
    trace.touch()
    parties = _fire(url, trace, 3)
    _kill_and_restart(url, random.Random(), kills=1, window=1.5)
    _check(url, parties, trace)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_killed_workers_loop_runs_delayed_actions_exactly_once(
    url: str, tmp_path: Path, round_: int
) -> None:
    if url == "memory://":
        pytest.skip("worker processes need a store they can share")
    trace = tmp_path / "trace"
    trace.touch()
    parties = _fire(url, trace, 12)
    _kill_and_restart(url, random.Random(round_), kills=6, window=1.2)
    _check(url, parties, trace)
