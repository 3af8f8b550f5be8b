"""Every public name is documented, and the docs build refers to what exists."""

from __future__ import annotations

import ast
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PUBLIC_MODULES = [
    "relationship_core",
    "relationship_core.exceptions",
    "relationship_core.testing",
    "relationship_core.testing.strategies",
    "relationship_core.analytics.models",
    "relationship_core.plugins",
    "relationship_core.testing.storage",
    "relationship_core.web",
    "relationship_core.importing",
    "relationship_core.reports",
    "relationship_core.privacy",
]


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))


def _documented_elsewhere(module: object, name: str, text: str) -> bool:
    """A re-export is documented once, where it belongs (another public module's page).

    Rendering the same object twice makes its cross-references ambiguous.
    """
    obj = getattr(module, name)
    for other_name in PUBLIC_MODULES:
        other = importlib.import_module(other_name)
        if other is module or getattr(other, name, None) is not obj:
            continue
        if re.search(rf"::: {re.escape(other_name)}(\.{re.escape(name)})?\s*$", text, re.M):
            return True
    return False


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    text = _docs_text()
    missing = []
    for name in module.__all__:
        if name.startswith("__"):
            continue
        documented_directly = re.search(rf"::: {re.escape(module_name)}\.{re.escape(name)}\b", text)
        documented_by_module = re.search(rf"::: {re.escape(module_name)}\s*$", text, re.M)
        if not (
            documented_directly or documented_by_module or _documented_elsewhere(module, name, text)
        ):
            missing.append(name)
    assert not missing, f"{module_name}: document these in docs/: {missing}"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    undocumented = [
        name
        for name in module.__all__
        if not name.startswith("__")
        and callable(getattr(module, name))
        and not (getattr(module, name).__doc__ or "").strip()
    ]
    assert not undocumented, f"{module_name}: add docstrings to {undocumented}"


def test_architecture_page_names_real_things() -> None:
    """Every dotted name the architecture page cites is a real module or attribute."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    for dotted in re.findall(r"`(relationship_core(?:\.[A-Za-z_]+)+)`", text):
        parent, _, leaf = dotted.rpartition(".")
        try:
            importlib.import_module(dotted)
        except ModuleNotFoundError:
            assert hasattr(importlib.import_module(parent), leaf), f"{dotted} does not exist"


def _docstrings() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    found.append((str(path.relative_to(ROOT)), getattr(node, "lineno", 1), doc))
    return found


def test_docstrings_render_in_mkdocs() -> None:
    """No Sphinx roles (MkDocs shows them literally) and no doctest outside an Examples: section.

    A bare ``>>>`` block renders as nested block quotes, and its output can be
    misread as a Markdown link; under ``Examples:`` it renders as code.
    """
    role = re.compile(r":(?:py:)?(?:meth|class|func|mod|attr|data|exc|obj):`")
    problems = []
    for path, line, doc in _docstrings():
        if role.search(doc):
            problems.append(f"{path}:{line}: Sphinx role; use a `code span`")
        if any(text.startswith(">>>") for text in doc.splitlines()):
            problems.append(f"{path}:{line}: doctest outside an 'Examples:' section")
    assert not problems, "\n".join(problems)


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


@pytest.mark.parametrize("number", range(len(_readme_blocks())))
def test_each_readme_block_runs_on_its_own_when_pasted(number: int) -> None:
    """Sybil runs the README top to bottom; a reader pastes one block into a fresh shell."""
    code = _readme_blocks()[number]
    exec(compile(code, f"README.md block {number + 1}", "exec"), {"__name__": "__readme__"})  # noqa: S102
