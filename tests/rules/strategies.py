"""Hypothesis strategies for random condition trees and the contexts they run on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._rules.ast import (
    And,
    Call,
    Compare,
    Condition,
    Duration,
    Exists,
    Expr,
    IsTrue,
    ListLiteral,
    Literal,
    Not,
    Now,
    Or,
    Path,
    Shift,
)

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
FIELDS = ("a", "b", "c")
ROOTS = ("x", "y")

paths = st.builds(
    lambda root, field: Path((root, field)), st.sampled_from(ROOTS), st.sampled_from(FIELDS)
)
small_text = st.text(alphabet="abAB ", max_size=4)
numbers = st.one_of(
    st.integers(-3, 3), st.decimals(-3, 3, places=1, allow_nan=False, allow_infinity=False)
)
moneys = st.builds(
    Money, st.sampled_from(["-1", "0", "1.50", "2"]), st.sampled_from(["EUR", "USD"])
)
times = st.integers(-5, 5).map(lambda d: NOW + timedelta(days=d))
scalars = st.one_of(numbers, small_text, st.booleans(), st.none(), moneys)
literal_values = st.one_of(scalars, times)

literals = literal_values.map(Literal)
lists = st.lists(scalars.map(Literal), max_size=3).map(lambda xs: ListLiteral(tuple(xs)))
durations = st.builds(Duration, st.integers(1, 3), st.sampled_from(["day", "hour", "week"]))
shifts = st.builds(Shift, st.sampled_from(["+", "-"]), st.one_of(st.just(Now()), paths), durations)
calls = st.one_of(
    st.builds(lambda n, p: Call(n, (p,)), st.sampled_from(["lower", "upper", "len"]), paths),
    st.builds(
        lambda n, p, s: Call(n, (p, Literal(s))),
        st.sampled_from(["startswith", "endswith"]),
        paths,
        small_text,
    ),
)
values: st.SearchStrategy[Expr] = st.one_of(paths, literals, shifts, calls, st.just(Now()))

comparisons = st.one_of(
    st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), values, values),
    st.builds(Compare, st.sampled_from(["in", "not in"]), values, st.one_of(lists, paths)),
    st.builds(Compare, st.just("contains"), paths, values),
    st.builds(
        Compare,
        st.just("matches"),
        st.one_of(paths, calls),
        st.text(alphabet="abAB *?", max_size=5).map(Literal),
    ),
    st.builds(Exists, paths),
    st.builds(IsTrue, st.one_of(paths, calls)),
)


def _extend(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    several = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(st.builds(And, several), st.builds(Or, several), st.builds(Not, children))


conditions: st.SearchStrategy[Condition] = st.recursive(comparisons, _extend, max_leaves=8)

field_values = st.one_of(scalars, times, st.lists(small_text, max_size=3))
roots = st.fixed_dictionaries(
    {root: st.dictionaries(st.sampled_from(FIELDS), field_values) for root in ROOTS}
)
