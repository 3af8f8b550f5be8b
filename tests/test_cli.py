"""The relationship-core command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from relationship_core import __version__
from relationship_core._cli import main


def test_demo_tells_the_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "A customer buys",
        "Promoted to client",
        "customer -> client",
        "client -> customer",
        "engagement.promoted",
        "engagement.lapsed",
        "Last contact (derived from interactions)",
    ):
        assert expected in out


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "relationship_core", "demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Domain events recorded" in result.stdout
