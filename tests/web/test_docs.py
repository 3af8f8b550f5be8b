"""The screenshots docs/web.md shows exist (made by `nox -s screenshots` from the browser tests)."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).parents[2] / "docs"


def test_the_documented_screenshots_exist() -> None:
    shown = re.findall(r"!\[[^\]]*\]\((img/web-[\w-]+\.png)\)", (DOCS / "web.md").read_text())
    assert {"img/web-form.png", "img/web-portal.png", "img/web-survey.png"} <= set(shown)
    missing = [path for path in shown if not (DOCS / path).is_file()]
    assert missing == []


def test_every_screenshot_the_browser_tests_take_is_documented() -> None:
    source = (Path(__file__).parent / "test_browser.py").read_text()
    taken = {f"img/web-{name}.png" for name in re.findall(r'site\.check\("([\w-]+)"\)', source)}
    shown = set(re.findall(r"\((img/web-[\w-]+\.png)\)", (DOCS / "web.md").read_text()))
    assert taken == shown
