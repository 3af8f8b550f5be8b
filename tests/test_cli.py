"""The relationship-core command: demo on a store, migrate, version."""

from __future__ import annotations

import re
import subprocess
import sys
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
        "parties 3   engagements 2   interactions 4   orders 13",
        "retainers 1   invoices 26   credit notes 1",
        "CN-2026-000001, 49.00 GBP (partially refunded)",
        "26 issued, no gaps",
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
    assert 55 <= len(out.splitlines()) <= 95
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
            assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 27)]
            assert len(crm.events.read(limit=1000)) == 169
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
