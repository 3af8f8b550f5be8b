"""Stores for the reports tests: the platform tests' memory, SQLite and PostgreSQL stores.

One definition of the store fixtures lives in ``tests/app_platform/conftest.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_platform_test_stores_reports", Path(__file__).parents[1] / "app_platform" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_platform = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_platform)

url = _platform.url
