"""The LTV walkthrough example runs end to end and writes every figure the docs show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "ltv_walkthrough.py"


def test_walkthrough_writes_the_documented_figures(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "2,357 customers, 946 repeat buyers" in result.stdout
    assert "HoldoutReport (2,357 customers)" in result.stdout
    written = sorted(p.name for p in tmp_path.glob("ltv-*.png"))
    page = (ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    shown = sorted(set(re.findall(r"img/(ltv-[a-z-]+\.png)", page)))
    assert written == shown
    assert len(written) == 7
    for name in written:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
        assert (ROOT / "docs" / "img" / name).is_file()
