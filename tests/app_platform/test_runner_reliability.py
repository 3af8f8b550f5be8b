"""Reliability: worker processes killed at random moments lose no job and run none twice at once.

Slow (about 20 s per backend): run with ``pytest -m slow``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import relationship_core as rc

pytestmark = pytest.mark.slow

TESTS = Path(__file__).parent.parent
SRC = TESTS.parent / "src"
JOBS = 40


def _worker(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
    return subprocess.Popen(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "relationship_core._cli",
            "worker",
            url,
            "--queues",
            "slow",
            "--lease",
            "1",
            "--poll",
            "0.05",
            "--plugin",
            "app_platform.jobs_feature:plugin",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def test_killed_workers_lose_no_job_and_never_share_one(url: str, tmp_path: Path) -> None:
    if url == "memory://":
        pytest.skip("worker processes need a store they can share")
    trace = tmp_path / "trace.log"
    with rc.open(url) as crm:
        ids = [
            crm.jobs.enqueue("slow", {"n": n, "seconds": 0.1, "trace": str(trace)}, max_attempts=50)
            for n in range(JOBS)
        ]
    rng = random.Random(20261201)
    workers = [_worker(url) for _ in range(3)]
    killed: set[int] = set()
    deadline = time.monotonic() + 90
    try:
        with rc.open(url) as crm:
            while True:
                stats = crm.jobs.stats().get("slow")
                if stats is not None and stats.pending == 0 and stats.claimed == 0:
                    break
                assert time.monotonic() < deadline, f"jobs left: {stats}"
                time.sleep(rng.uniform(0.2, 0.6))
                if len(killed) < 12:
                    victim = workers.pop(rng.randrange(len(workers)))
                    victim.send_signal(signal.SIGKILL)
                    victim.wait()
                    killed.add(victim.pid)
                    workers.append(_worker(url))
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    with rc.open(url) as crm:
        jobs = [crm.jobs.get(i) for i in ids]
        assert [j.state if j else None for j in jobs] == ["done"] * JOBS  # none lost
        people = {f"done-{n}" for n in range(JOBS)}
        assert {p for p in people if crm.parties.find(p) is not None} == people  # each once
    starts: dict[str, list[tuple[int, int]]] = {}
    for line in trace.read_text().splitlines():
        _, jid, pid, fence = line.split()
        starts.setdefault(jid, []).append((int(fence), int(pid)))
    for jid, runs in starts.items():
        fences = [f for f, _ in runs]
        assert fences == sorted(set(fences)), f"{jid} ran twice under one fence: {runs}"
        # Every run but the last was cut short by a kill: never two live runs at once.
        assert all(pid in killed for _, pid in runs[:-1]), (jid, runs, killed)
