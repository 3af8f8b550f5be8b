"""``relationship-core report URL [--period ...] [--html FILE]``."""

from __future__ import annotations

from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core import LifecycleService, Money, Person
from relationship_core._cli import main


def _store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/crm.db"
    with rc.open(url) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        service = LifecycleService(crm)
        service.open_deal(
            party_id=ada.id,
            title="a",
            owner="bob",
            amount=Money("1000", "EUR"),
            expected_close=service.next_quarter().start,
            stage="proposal",
        )
    return url


def test_terminal_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _store(tmp_path)
    assert main(["report", url]) == 0
    out = capsys.readouterr().out
    assert "Weighted pipeline" in out
    assert "500.00 EUR" in out
    assert "1000.00 EUR" in out
    for title in ("Sales per rep", "Workload on", "CSAT (satisfied_share) per team", "Revenue per"):
        assert title in out, title
    assert "Retention cohorts" in out
    assert main(["report", url, "--period", "this-month", "--months", "2"]) == 0
    out = capsys.readouterr().out
    assert "(nothing)" in out
    assert main(["report", url, "--months", "0"]) == 2
    assert "months" in capsys.readouterr().err


def test_self_contained_html(tmp_path: Path) -> None:
    url = _store(tmp_path)
    page = tmp_path / "out.html"
    assert main(["report", url, "--html", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<table>" in text
    assert "500.00 EUR" in text
    assert "data:image/png;base64," in text or "no plot" in text


def test_a_bad_store_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "nosuch://x"]) == 2
    assert "relationship-core report" in capsys.readouterr().err


def test_an_html_file_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "dashboard.html"
    assert main(["report", "memory://", "--html", str(target)]) == 2
    assert "cannot write --html" in capsys.readouterr().err
    assert not target.exists()
