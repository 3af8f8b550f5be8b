"""Run the docstring examples of the model modules.

The root Sybil pattern ``src/relationship_core/**/*.py`` is matched with
``Path.match``, which on Python 3.11 does not recurse into
``analytics/_models/``; this keeps those examples honest until it does.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "relationship_core.analytics._models.bgnbd",
    "relationship_core.analytics._models.paretonbd",
    "relationship_core.analytics._models.mbgnbd",
    "relationship_core.analytics._models.bgbb",
    "relationship_core.analytics._models.gammagamma",
    "relationship_core.analytics._models.sbg",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
