"""The bounds every condition must stay within, so a rule set cannot run away.

Each limit is checked while parsing or loading, before anything is compiled, so
compile time is linear in the (bounded) length and evaluation time is linear in
the node count times the size of the context values the condition touches.
"""

from __future__ import annotations

__all__ = [
    "MAX_DEPTH",
    "MAX_DURATION_DAYS",
    "MAX_LENGTH",
    "MAX_MATCHES",
    "MAX_MATCH_SUBJECT",
    "MAX_NODES",
    "MAX_PATTERN",
]

MAX_LENGTH = 4_000
"""Characters in a condition's text (and 4x that for JSON text)."""

MAX_DEPTH = 32
"""Nesting of parentheses, ``not``, function calls and JSON objects."""

MAX_NODES = 500
"""Nodes in the parsed condition (each path, literal, list item and operator counts)."""

MAX_PATTERN = 64
"""Characters in a ``matches`` glob pattern."""

MAX_MATCHES = 16
"""``matches`` operators in one condition."""

MAX_MATCH_SUBJECT = 4_096
"""Characters of a value ``matches`` will look at; longer strings never match."""

MAX_DURATION_DAYS = 36_525
"""The longest duration literal: 100 years (in any unit)."""
