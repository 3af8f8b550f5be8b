"""Stores for the rule-engine tests: the work tests' fixtures, loaded from their one definition."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_work_test_stores", Path(__file__).parents[1] / "work" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_stores = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stores)

make_url = _stores.make_url
url = _stores.url
