"""Every hookspec is documented (docstring + docs/plugins.md) and exercised by a test."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from relationship_core.plugins import HookSpecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in vars(HookSpecs) if name.startswith("relationship_core_"))


def test_there_are_hooks() -> None:
    assert HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_full_docstring(hook: str) -> None:
    doc = inspect.getdoc(getattr(HookSpecs, hook)) or ""
    assert len(doc.splitlines()) > 3, f"{hook} needs a docstring"
    assert "Returns:" in doc, f"{hook}: say what it returns"
    assert "@hookimpl" in doc, f"{hook}: show an example plugin"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_plugin_authors_page(hook: str) -> None:
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"`{hook}`" in page, f"{hook} is not documented in docs/plugins.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook: str) -> None:
    here = Path(__file__).resolve()
    users = [
        path
        for path in (ROOT / "tests").rglob("test_*.py")
        if path.resolve() != here and f"def {hook}(" in path.read_text(encoding="utf-8")
    ]
    assert users, f"no test implements {hook}"
