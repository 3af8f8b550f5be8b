"""Run the code in README.md, docs/*.md and docstrings as tests (Sybil)."""

from __future__ import annotations

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

pytest_collect_file = (
    Sybil(
        parsers=[PythonCodeBlockParser(), SkipParser()],
        patterns=["README.md", "docs/*.md"],
        excludes=["docs/changelog.md"],
    )
    # Path.match does not recurse on Python 3.11, so each depth is named.
    + Sybil(
        parsers=[DocTestParser()],
        patterns=[
            "src/relationship_core/*.py",
            "src/relationship_core/*/*.py",
            "src/relationship_core/*/*/*.py",
        ],
    )
).pytest()
