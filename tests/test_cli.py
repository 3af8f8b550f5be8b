"""The relationship-core command: demo on a store, migrate, version."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from relationship_core import __version__
from relationship_core._app.facade import open_store
from relationship_core._cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_tells_a_year_on_a_temporary_sqlite_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    url = re.search(r"^Store: (sqlite:///\S+)$", out, re.MULTILINE)
    assert url is not None
    for expected in (
        "A customer buys",
        "How they came in: a lead, scored, qualified, a deal won",
        "2025-12-01  score 45.00 crossed 40 up: marketing-qualified",
        "2025-12-10  score 77.18 crossed 65 up: sales-qualified",
        "+10.00 e-mails   3 x email_opened at 5 each, decayed to 2.696 occurrences, capped at 10",
        "    prospecting (10%) -> qualification (20%) -> proposal (50%)\n",
        "-> negotiation (80%) -> closed-won on 2026-01-05",
        "lifecycle: lead -> marketing-qualified -> sales-qualified -> opportunity -> customer",
        "placed -> assigned (workshop-team) -> in progress",
        "-> fulfilled -> invoiced INV-2026-000001 -> paid",
        "Last contact (derived from stored interactions)",
        "customer -> client, account manager amy.manager",
        "822.58",  # January prorated: 17 of 31 days of 1,500.00
        "adjustment -800.00 + 960.00",
        "Running the biller again for 2026-12-31 issues 0 invoices (idempotent)",
        "client -> customer (budget frozen for 2027)",
        "MRR on 2026-12-31: 1,800.00 GBP   ARR: 21,600.00 GBP",
        "The biller on 2027-01-01: 0 invoices",
        "Read back from the store (reopened)",
        "parties 3   engagements 2   interactions 4   orders 14",
        "retainers 1   invoices 26   credit notes 1",
        "CN-2026-000001, 49.00 GBP (partially refunded)",
        "26 issued, no gaps",
        "12. The dashboard: sales, workload, CSAT, revenue, cohorts",
        "sam.sales  1    0     100%      230.50 GBP   24.9 d",
        "2027-01  sam.support  1        0  0  0  0  1  1.00",
        "2026-06  GBP       1       799.00     1800.00  21600.00  0.00     300.00",
        "cohort 2026-01: 2 customers' first orders; 1 still ordering 11 months later",
        "The temporary store was removed",
    ):
        assert expected in out, expected
    numbers = re.findall(r"INV-2026-(\d{6})", out)
    # Every number from 1 to 26 appears, in increasing order of issue, none twice in the table.
    table = [int(n) for n in numbers[1:-2]]  # without the order line and the final summary
    assert sorted(table) == list(range(2, 27))
    assert len(set(table)) == len(table)
    # One row per month (the June adjustment invoice takes an extra, unlabelled row).
    assert len(re.findall(r"^  \w{3}   INV-2026-\d{6} ", out, re.MULTILINE)) == 12
    assert not Path(url.group(1).removeprefix("sqlite:///")).exists()
    assert 55 <= len(out.splitlines()) <= 230  # each feature adds a chapter (174 with 1-12)
    assert max(len(line) for line in out.splitlines()) <= 100


def test_demo_keep_leaves_a_store_that_opens_again(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--keep")
    assert code == 0
    path = Path(re.search(r"^Store: sqlite:///(\S+)$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert f"Kept the store: sqlite:///{path}" in out
    try:
        assert path.exists()
        with open_store(f"sqlite:///{path}") as crm:
            numbers = sorted(i.number for i in crm.repository("invoice").iterate())
            # the story's 26, and the rules chapter's order fulfilled in 2027
            assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 27)] + ["INV-2027-000001"]
            # 169 of the billing story, 18 of the work and support chapters (the ticket's
            # assignment and the customer's comment are events too), plus the sales chapter's 5 lifecycle moves, 5 deal
            # events (opened, 3 stage changes, won), 2 proposal events and 2 crossings, plus
            # 3 moves the engagements cause (by default): Somerville becomes a customer,
            # the client promotion and its lapse.
            # The rules chapter adds 21: a ticket (opened, assigned, 2 moves, the engagement its
            # party starts and that start's stage move), an order (placed, assigned,
            # started, fulfilled, invoiced, its invoice), two deals (opened, proposal
            # sent and accepted, won) and the follow-up's task.
            events = [e.name for _, e in crm.events.read(limit=1000)]
            assert len(events) == 225
            assert events.count("score.crossed") == 2
            assert events.count("opportunity.won") == 3
            assert events.count("lifecycle.stage_changed") == 9
            stages = sorted(lc.stage for lc in crm.repository("party_lifecycle").iterate())
            # the lapsed client, the school, and the rules chapter's ticket's party
            assert stages == ["customer", "customer", "customer"]
    finally:
        for file in path.parent.iterdir():
            file.unlink()
        path.parent.rmdir()


def test_demo_on_a_given_store_and_refusing_a_used_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    code, out, _ = run(capsys, "demo", "--store", url)
    assert code == 0
    assert f"Store: {url}" in out
    assert "removed" not in out
    assert f"The store is kept at {url}." in out
    assert (tmp_path / "mine.db").exists()
    code, out, err = run(capsys, "demo", "--store", url)
    assert code == 2
    assert "the demo needs an empty store" in err
    assert out == ""  # no header promising a demo above the error
    code, out, _ = run(capsys, "demo", "--store", "memory://")
    assert code == 0
    assert "26 issued, no gaps" in out


def test_migrate_creates_then_finds_nothing_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    code, out, _ = run(capsys, "migrate", url)
    assert code == 0
    for kind in ("party", "retainer", "invoice", "order", "invoice_sequence"):
        assert f"created kind '{kind}'" in out
    code, out, _ = run(capsys, "migrate", url)
    assert (code, out.strip()) == (0, "schema up to date; nothing to migrate")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuch://x", "available: memory://"),
        ("nosuch://x", "install the plugin package that provides it"),
        ("sqlit:///crm.db", "Did you mean sqlite://?"),
        ("not a url", "expected a URL such as"),
    ],
)
def test_migrate_refuses_a_bad_url(
    capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    code, out, err = run(capsys, "migrate", url)
    assert code == 2
    assert out == ""
    assert err.startswith("relationship-core migrate: ")
    assert message in err


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["migrate"])
    assert info.value.code == 2


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "relationship_core", "demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "26 issued, no gaps" in result.stdout


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 2
    assert out.startswith("usage: relationship-core")
    for command in ("demo", "migrate"):
        assert command in out


def test_demo_piped_into_head_ends_without_a_traceback() -> None:
    # A real pipe whose reader stops after one line, as `relationship-core demo | head -n 1`.
    demo = subprocess.Popen(
        [sys.executable, "-m", "relationship_core", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert demo.stdout is not None
    assert demo.stderr is not None
    first = demo.stdout.readline()
    demo.stdout.close()  # the reader goes away; the demo's next writes hit a broken pipe
    err = demo.stderr.read().decode()
    demo.stderr.close()
    assert demo.wait(timeout=120) == 141
    assert first.startswith(b"relationship_core demo:")
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err


def test_demo_shows_every_interaction_it_stores_in_one_date_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "demo", "--store", "memory://")
    assert code == 0
    shown = re.findall(r"^  \d{4}-\d{2}-\d{2}  (?:form|email|call|meeting) ", out, re.MULTILINE)
    stored = re.search(r"interactions (\d+)", out)
    assert stored is not None
    assert len(shown) == int(stored.group(1))
    # Days are ISO dates everywhere; month names only label the billing table's rows.
    assert not re.search(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", out)


# -- worker and jobs -------------------------------------------------------------------

TESTS = Path(__file__).parent
SRC = TESTS.parent / "src"
PLUGIN = "app_platform.jobs_feature:plugin"


def _cli(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "relationship_core._cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=timeout,
    )


def _seed(url: str, jobs: list[tuple[str, dict[str, object], int]]) -> list[str]:
    with open_store(url) as crm:  # enqueueing needs no handlers
        return [crm.jobs.enqueue(q, p, max_attempts=m) for q, p, m in jobs]


def test_worker_once_runs_what_is_due_and_jobs_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    log = tmp_path / "sent.log"
    ids = _seed(
        url,
        [("welcome", {"n": n, "log": str(log)}, 5) for n in range(3)]
        + [("flaky", {"n": 9}, 1), ("slow", {"n": 8}, 5)],
    )
    done = _cli("worker", url, "--once", "--queues", "welcome,flaky", "--plugin", PLUGIN)
    assert done.returncode == 0, done.stderr
    assert "worker stopped: 3 done, 0 retried, 1 dead, 0 lost" in done.stdout
    assert f"job={ids[0]} queue=welcome attempt=1 outcome=done" in done.stderr
    assert "outcome=dead" in done.stderr
    assert sorted(log.read_text().split()) == sorted(ids[:3])
    code, out, err = run(capsys, "jobs", url)
    assert code == 0, err
    assert out.splitlines()[0] == f"Store: {url}"
    assert re.search(r"^flaky\s+0\s+0\s+0\s+1\s+-$", out, re.MULTILINE)
    assert re.search(r"^slow\s+1\s+1\s+0\s+0\s+\d", out, re.MULTILINE)
    assert "Oldest due job: queue slow" in out
    assert f"{ids[3]}  flaky  attempts 1/1  ConnectionError: smtp down" in out
    code, out, _ = run(capsys, "jobs", url, "--retry", ids[3])
    assert f"requeued {ids[3]}" in out
    assert "Dead letters: 0" in out
    again = _cli("worker", url, "--once", "--queues", "flaky", "--plugin", PLUGIN)
    assert "1 dead" in again.stdout
    assert "requeued 1 dead letter" in run(capsys, "jobs", url, "--retry-all")[1]
    with open_store(url) as crm:  # dead again, without another process
        [job] = crm.jobs.claim("w", queues=["flaky"])
        crm.jobs.retry(job, error="still down")
    assert f"discarded {ids[3]}" in run(capsys, "jobs", url, "--discard", ids[3])[1]
    code, out, err = run(capsys, "jobs", url, "--discard", ids[0])
    assert code == 2
    assert "the job is done; only dead letters can be changed" in err


def test_worker_refuses_unknown_queues_and_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    code, _, err = run(capsys, "worker", url, "--once", "--queues", "nope")
    assert code == 2
    assert "no job handler is registered for it" in err
    code, _, err = run(capsys, "worker", url, "--once", "--plugin", "no.such.module:plugin")
    assert code == 2
    assert "no.such.module" in err


def test_jobs_and_worker_print_postgres_urls_without_the_password(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, pg_url: Callable[[str], str]
) -> None:
    if "@" not in pg_dsn or ":" in pg_dsn.split("//")[1].split("@", maxsplit=1)[0]:
        pytest.skip("needs RELATIONSHIP_CORE_TEST_POSTGRES_DSN of a trust-auth server")
    user = pg_dsn.split("//")[1].split("@", maxsplit=1)[0]
    url = pg_url("cli").replace(f"//{user}@", f"//{user}:s3cr3t-pw@")
    out = _cli("worker", url, "--once", "--plugin", PLUGIN)
    assert out.returncode == 0, out.stderr
    code, report, err = run(capsys, "jobs", url)
    assert code == 0, err
    for text in (out.stdout, out.stderr, report, err):
        assert "s3cr3t-pw" not in text
    assert f"//{user}:***@" in out.stdout
    assert f"//{user}:***@" in report


def test_worker_finishes_the_job_in_hand_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import time

    url = f"sqlite:///{tmp_path / 'w.db'}"
    started = tmp_path / "started"
    [jid, later] = _seed(
        url,
        [("slow", {"n": 1, "seconds": 1.0, "started": str(started)}, 5), ("slow", {"n": 2}, 5)],
    )
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "relationship_core._cli", "worker", url, "--plugin", PLUGIN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while not started.exists():
            assert time.monotonic() < deadline, "the worker never started the job"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "worker stopped: 1 done" in out
    with open_store(url) as crm:
        first, second = crm.jobs.get(jid), crm.jobs.get(later)
        assert first is not None
        assert second is not None
        assert (first.state, second.state) == ("done", "pending")
