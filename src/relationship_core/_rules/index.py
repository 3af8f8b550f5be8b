"""Matching many rules per event, at a cost that grows with the rules that could match.

Rules are bucketed by event type. Within a bucket each rule is filed by the terms of its
top-level conjunction: its equalities ``path == constant`` (and ``path in [...]``) together
as one key, the tuple of their values, in a hash table per set of paths; failing that, one
threshold ``path > number`` in a sorted list per path and direction; a rule with neither
is checked on every event of its type. An event reads each path once per table, gathers
the rules whose filed terms can hold, and evaluates just those conditions in full.
Filing only prunes: the verdict is always the whole condition.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import product
from typing import Any

import attrs

from relationship_core._rules.ast import And, Compare, Condition, ListLiteral, Literal, Path
from relationship_core._rules.compiler import Predicate, ValueFn, path_getter
from relationship_core._rules.condition import CompiledCondition, compile_condition
from relationship_core._rules.context import Context
from relationship_core._rules.explain import Explanation
from relationship_core._rules.values import kind_of
from relationship_core.exceptions import ValidationError

__all__ = ["ANY_EVENT", "MatchResult", "Rule", "RuleIndex"]

ANY_EVENT = "*"
"""The event type of a rule that applies to every event."""

_NUMBERS = frozenset({int, float, Decimal})
_HASHED = frozenset({"string", "number", "boolean", "null"})
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@attrs.frozen
class Rule:
    """A named condition on some event types.

    Attributes:
        name: Unique within an index.
        event_types: The event types it applies to (``"*"`` for all).
        condition: The compiled condition.
    """

    name: str
    event_types: frozenset[str]
    condition: CompiledCondition = attrs.field(eq=False)

    @classmethod
    def of(cls, name: str, event_types: Iterable[str], condition: object) -> Rule:
        """Build a rule from condition text or its JSON form (compiled here, once)."""
        types: frozenset[str] = frozenset(
            (event_types,) if isinstance(event_types, str) else event_types
        )
        return cls(name, types, compile_condition(condition, f"rules[{name}].condition"))


@attrs.frozen
class MatchResult:
    """The rules that matched an event, and why each other candidate did not.

    Attributes:
        matched: The matching rules, in the order they were given to the index.
        failed: (rule, explanation) for each candidate whose condition was false.
    """

    matched: tuple[Rule, ...]
    failed: tuple[tuple[Rule, Explanation], ...]


_Entry = tuple[int, Predicate, Rule]
_KeyReader = Callable[[Context], tuple[object, ...]]


def _terms(tree: Condition) -> tuple[Condition, ...]:
    return tree.items if isinstance(tree, And) else (tree,)


def _equality(term: Condition) -> tuple[tuple[str, ...], tuple[object, ...]] | None:
    if not isinstance(term, Compare):
        return None
    left, right = term.left, term.right
    if term.op == "==" and isinstance(left, Literal) and isinstance(right, Path):
        left, right = right, left
    if not isinstance(left, Path):
        return None
    if term.op == "==" and isinstance(right, Literal) and kind_of(right.value) in _HASHED:
        return left.names, (right.value,)
    if (
        term.op == "in"
        and isinstance(right, ListLiteral)
        and right.items
        and all(kind_of(item.value) in _HASHED for item in right.items)
    ):
        return left.names, tuple(item.value for item in right.items)
    return None


_MAX_KEYS = 64


def _key_terms(equalities: list[tuple[tuple[str, ...], tuple[object, ...]]]) -> list[int]:
    """Which equalities make the key: one per path, keeping the value combinations few."""
    chosen: dict[tuple[str, ...], int] = {}
    combinations = 1
    for at in sorted(range(len(equalities)), key=lambda i: len(equalities[i][1])):
        names, values = equalities[at]
        if names in chosen or combinations * len(values) > _MAX_KEYS:
            continue
        chosen[names] = at
        combinations *= len(values)
    return [chosen[names] for names in sorted(chosen)]


def _threshold(term: Condition) -> tuple[tuple[str, ...], str, object] | None:
    if not isinstance(term, Compare) or term.op not in _MIRROR:
        return None
    op, left, right = term.op, term.left, term.right
    if isinstance(left, Literal) and isinstance(right, Path):
        op, left, right = _MIRROR[op], right, left
    if isinstance(left, Path) and isinstance(right, Literal) and kind_of(right.value) == "number":
        return left.names, op, right.value
    return None


class _Bucket:
    def __init__(self, entries: list[_Entry]) -> None:
        self.always: list[_Entry] = []
        self.equal: list[
            tuple[Callable[[Context], tuple[object, ...]], dict[tuple[object, ...], list[_Entry]]]
        ] = []
        self.above: list[tuple[ValueFn, str, list[Any], list[_Entry]]] = []
        tables: dict[tuple[tuple[str, ...], ...], dict[tuple[object, ...], list[_Entry]]] = {}
        lines: dict[tuple[tuple[str, ...], str], list[tuple[Any, _Entry]]] = {}
        for ordinal, test, rule in entries:
            terms = _terms(rule.condition.tree)
            found = [(i, eq) for i, term in enumerate(terms) if (eq := _equality(term)) is not None]
            picked = _key_terms([eq for _, eq in found])
            if picked:
                equalities = [found[k][1] for k in picked]
                # Filed under every equality at once: the key is the tuple of their values.
                # A hit means those terms hold, so only the rest is evaluated.
                used = {found[k][0] for k in picked}
                entry = (ordinal, _residual(terms, used), rule)
                paths = tuple(names for names, _ in equalities)
                table = tables.setdefault(paths, {})
                for key in dict.fromkeys(product(*(values for _, values in equalities))):
                    table.setdefault(tuple(_flag(v) for v in key), []).append(entry)
                continue
            thresholds = [(i, limit) for i, term in enumerate(terms) if (limit := _threshold(term))]
            if thresholds:
                at, (names, op, bound) = thresholds[0]
                entry = (ordinal, _residual(terms, {at}), rule)
                lines.setdefault((names, op), []).append((bound, entry))
                continue
            self.always.append((ordinal, test, rule))
        self.equal = [(_key_reader(paths), table) for paths, table in tables.items()]
        for (names, op), items in lines.items():
            items.sort(key=lambda item: item[0])
            self.above.append(
                (path_getter(names), op, [b for b, _ in items], [e for _, e in items])
            )

    def candidates(self, context: Context) -> list[_Entry]:
        found = list(self.always)
        for read, table in self.equal:
            key = read(context)
            try:
                hit = table.get(key)
            except TypeError:  # an unhashable value equals no constant
                continue
            if hit:
                found.extend(hit)
        for get, op, bounds, entries in self.above:
            value = get(context)
            if type(value) not in _NUMBERS or kind_of(value) is None:
                continue
            if op == ">":  # bound < value
                found.extend(entries[: bisect_left(bounds, value)])
            elif op == ">=":
                found.extend(entries[: bisect_right(bounds, value)])
            elif op == "<":  # bound > value
                found.extend(entries[bisect_right(bounds, value) :])
            else:
                found.extend(entries[bisect_left(bounds, value) :])
        if len(found) > 1:
            found.sort(key=_ordinal)
        return found


class _Flag:
    """Booleans as keys of their own, so ``true`` never finds the rules filed under ``1``."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value


_TRUE, _FALSE = _Flag(True), _Flag(False)  # noqa: FBT003


def _flag(value: object) -> object:
    if type(value) is bool:
        return _TRUE if value else _FALSE
    return value


def _key_reader(paths: tuple[tuple[str, ...], ...]) -> Callable[[Context], tuple[object, ...]]:
    getters = tuple(path_getter(names) for names in paths)
    if len(getters) == 1:
        (first,) = getters
        return lambda c: (_flag(first(c)),)
    if len(getters) == 2:
        one, two = getters

        def pair(c: Context) -> tuple[object, ...]:
            a, b = one(c), two(c)
            if type(a) is bool or type(b) is bool:
                return (_flag(a), _flag(b))
            return (a, b)

        return pair
    return lambda c: tuple(_flag(get(c)) for get in getters)


def _always(context: Context) -> bool:
    return True


def _residual(terms: tuple[Condition, ...], used: set[int]) -> Predicate:
    rest = tuple(term for i, term in enumerate(terms) if i not in used)
    if not rest:
        return _always
    return CompiledCondition(rest[0] if len(rest) == 1 else And(rest)).evaluate


def _ordinal(entry: _Entry) -> int:
    return entry[0]


class RuleIndex:
    """Rules indexed by event type and by the equality and threshold terms of their conditions.

    Examples:
        >>> from datetime import UTC, datetime
        >>> index = RuleIndex([
        ...     Rule.of("big order", ["order.placed"], "order.total >= 500 EUR"),
        ...     Rule.of("gold", ["order.placed"], 'party.tier == "gold"'),
        ... ])
        >>> from relationship_core import Money
        >>> context = Context(
        ...     {"order": {"total": Money("900", "EUR")}, "party": {"tier": "silver"}},
        ...     now=datetime(2025, 1, 1, tzinfo=UTC),
        ... )
        >>> [rule.name for rule in index.match("order.placed", context)]
        ['big order']
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        by_type: dict[str, list[_Entry]] = {}
        anywhere: list[_Entry] = []
        for ordinal, rule in enumerate(self.rules):
            if not isinstance(rule, Rule):
                raise ValidationError(f"rules[{ordinal}]", rule, "expected a Rule (see Rule.of)")
            if rule.name in seen:
                raise ValidationError(
                    f"rules[{ordinal}].name", rule.name, "rule names must be unique"
                )
            seen.add(rule.name)
            entry = (ordinal, rule.condition.evaluate, rule)
            for event_type in rule.event_types:
                (
                    anywhere if event_type == ANY_EVENT else by_type.setdefault(event_type, [])
                ).append(entry)
        self._buckets = {
            event_type: _Bucket(sorted(entries + anywhere, key=_ordinal))
            for event_type, entries in by_type.items()
        }
        self._anywhere = _Bucket(anywhere)

    def candidates(self, event_type: str, context: Context) -> list[Rule]:
        """The rules that could match: the ones `match` evaluates in full."""
        bucket = self._buckets.get(event_type, self._anywhere)
        return [rule for _, _, rule in bucket.candidates(context)]

    def match(self, event_type: str, context: Context) -> list[Rule]:
        """The rules whose event types include *event_type* and whose condition holds."""
        bucket = self._buckets.get(event_type, self._anywhere)
        return [rule for _, test, rule in bucket.candidates(context) if test(context)]

    def match_explained(self, event_type: str, context: Context) -> MatchResult:
        """Like `match`, with an explanation for every candidate whose condition was false."""
        bucket = self._buckets.get(event_type, self._anywhere)
        matched: list[Rule] = []
        failed: list[tuple[Rule, Explanation]] = []
        for _, test, rule in bucket.candidates(context):
            if test(context):
                matched.append(rule)
            else:
                failed.append((rule, rule.condition.explain(context)))
        return MatchResult(tuple(matched), tuple(failed))
