"""Run the code in README.md, docs/*.md and docstrings as tests (Sybil); the shared fixtures.

The fixtures every test directory uses (PostgreSQL schemas, the demo store)
live in tests/shared_fixtures.py and are offered here, so they reach every
test. (A tests/conftest.py would share this file's module name for mypy.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

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

_spec = importlib.util.spec_from_file_location(
    "_shared_test_fixtures", Path(__file__).parent / "tests" / "shared_fixtures.py"
)
if _spec is None or _spec.loader is None:
    raise ImportError("tests/shared_fixtures.py is missing")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

pg_dsn = _shared.pg_dsn
pg_schemas = _shared.pg_schemas
pg_url = _shared.pg_url
pg_fresh_url = _shared.pg_fresh_url
_demo_sqlite_file = _shared._demo_sqlite_file
demo_into = _shared.demo_into
