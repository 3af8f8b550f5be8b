"""Safety: arbitrary text or JSON compiles or is refused with ConditionError, never more.

Nothing reaches code execution, attributes that are not exposed, or unbounded time.
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._rules import ConditionError, Context, Exposure, compile_condition, load_json
from relationship_core._rules.limits import MAX_MATCH_SUBJECT, MAX_MATCHES, MAX_PATTERN

NOW = datetime(2025, 1, 1, tzinfo=UTC)
BOUND = 0.5  # seconds for one compile plus one evaluation: generous on a loaded machine


class Tripwire:
    """Any attribute read, call or comparison beyond the exposed ``name`` fails the test."""

    name = "safe"

    def __getattribute__(self, item: str) -> object:
        if item not in ("name", "__class__"):
            raise AssertionError(f"read {item}")
        return object.__getattribute__(self, item)

    def __eq__(self, other: object) -> bool:
        raise AssertionError("compared")

    __hash__ = object.__hash__


@attrs.frozen
class Party:
    name: str
    password: str


CONTEXT = Context(
    {
        "os": os,
        "party": Party("ACME", "hunter2"),
        "trip": Tripwire(),
        "order": {"total": 5, "tags": ["a"], "name": "x" * MAX_MATCH_SUBJECT},
        "fn": print,
        "cls": Party,
    },
    now=NOW,
    exposure=Exposure({Party: ("name",), Tripwire: ("name",)}),
)

TOKENS = [
    "and",
    "or",
    "not",
    "in",
    "contains",
    "exists",
    "matches",
    "true",
    "false",
    "null",
    "now",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "+",
    "-",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "!",
    "order",
    "total",
    "tags",
    "name",
    "party",
    "password",
    "os",
    "system",
    "trip",
    "fn",
    "cls",
    "__class__",
    "__globals__",
    "__import__",
    "eval",
    "exec",
    "lambda",
    "import",
    "getattr",
    "lower",
    "upper",
    "len",
    "startswith",
    "endswith",
    "date",
    "datetime",
    "3",
    "-2",
    "1.5",
    "500",
    "EUR",
    "XYZ",
    "days",
    "hours",
    "week",
    '"a*"',
    '"*?*?*?*b"',
    "'x'",
    '"\\n"',
    '"\\q"',
    '"',
    "\n",
    "_",
    "#",
    ";",
    "{",
    "}",
    "@",
    "%",
]
texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["order.total", "os.system", "party.password", "trip.__class__", "*"]),
)
json_keys = st.sampled_from(
    [
        "and",
        "or",
        "not",
        "exists",
        "==",
        "<",
        "in",
        "contains",
        "matches",
        "var",
        "now",
        "+",
        "-",
        "money",
        "duration",
        "decimal",
        "date",
        "datetime",
        "lower",
        "len",
        "startswith",
        "__class__",
        "eval",
    ]
)
json_nodes = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(json_keys, inner, max_size=2)
    ),
    max_leaves=20,
)


def _run(source: object) -> None:
    started = time.perf_counter()
    refused: ConditionError | None = None
    try:
        condition = compile_condition(source)
    except ConditionError as error:
        refused = error
    assert time.perf_counter() - started < BOUND
    if refused is not None:
        assert refused.field
        assert refused.reason
        return
    started = time.perf_counter()
    assert condition.evaluate(CONTEXT) in (True, False)
    condition.explain(CONTEXT)
    assert time.perf_counter() - started < BOUND


@settings(max_examples=150, deadline=None)
@given(texts)
def test_arbitrary_text_is_compiled_or_refused(text: str) -> None:
    _run(text)


@settings(max_examples=150, deadline=None)
@given(json_nodes)
def test_arbitrary_json_is_compiled_or_refused(node: object) -> None:
    _run(node)
    with contextlib.suppress(ConditionError):
        load_json(repr(node).replace("'", '"'))


def test_nothing_beyond_the_whitelist_is_reachable() -> None:
    for text in [
        "os.system == null",
        "exists os.path",
        'party.password == "hunter2"',
        "exists party.password",
        "exists fn.x",
        "exists cls.name",
        "exists trip.x",
        'trip.name == "safe"',
    ]:
        result = compile_condition(text).evaluate(CONTEXT)
        assert result is (text == 'trip.name == "safe"'), text


def test_worst_case_glob_stays_bounded() -> None:
    pattern = "*" + "?a" * ((MAX_PATTERN - 2) // 2) + "*"
    text = " and ".join([f'order.name matches "{pattern}"'] * MAX_MATCHES)
    condition = compile_condition(text)
    started = time.perf_counter()
    assert condition.evaluate(CONTEXT) is False
    assert time.perf_counter() - started < 2 * BOUND
