"""Exact aggregates: the checks, the Python evaluation, and the fallback.

`check_aggregate` runs on every backend before anything is computed, so an
unknown field, a sum over text or a money sum across currencies is refused
alike everywhere. `run_aggregate` computes an aggregate over records in
Python: the memory backend uses it, and `aggregate` uses it over the pages of
a plain query for a backend that does not declare ``aggregates``, so every
backend gives the same answer (the conformance kit checks SQL against it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, cast

import attrs

from relationship_core._domain.validators import items
from relationship_core._storage.contract import (
    Aggregate,
    FieldType,
    Group,
    IndexValue,
    Measure,
    Page,
    Query,
    Record,
)
from relationship_core._storage.exact import check_sum
from relationship_core._storage.schema import CheckedQuery, KindSpec, Schema, run_query
from relationship_core.exceptions import ValidationError

__all__ = ["CheckedAggregate", "aggregate", "check_aggregate", "finish_groups", "run_aggregate"]

_OPS = ("count", "sum", "min", "max")
_SUMMABLE = frozenset({"int", "decimal"})
_PAGE = 10_000


@attrs.frozen
class CheckedAggregate:
    """An aggregate whose names and condition values were checked.

    Attributes:
        aggregate: The aggregate, conditions normalised.
        spec: The kind's spec.
        where: The conditions as a checked query (for backends that filter by query).
    """

    aggregate: Aggregate
    spec: KindSpec
    where: CheckedQuery

    def field_type(self, measure: Measure) -> FieldType:
        """The type of a measure's field."""
        return self.spec.field(measure.field).type


def check_aggregate(schema: Schema, agg: Aggregate) -> CheckedAggregate:
    """Check kind, conditions, measures and groups of *agg* (``ValidationError`` naming them)."""
    if not isinstance(agg, Aggregate):
        raise ValidationError("aggregate", agg, "expected an Aggregate")
    where = schema.check_query(Query(agg.kind, agg.where, limit=_PAGE))
    spec = where.spec
    if not agg.measures:
        raise ValidationError("measures", agg.measures, "give at least one measure")
    labels: set[str] = set()
    for n, measure in enumerate(agg.measures):
        _check_measure(f"measures[{n}]", spec, measure, agg.group_by)
        if measure.label in labels:
            raise ValidationError(f"measures[{n}]", measure.label, "asked for twice")
        labels.add(measure.label)
    if len(set(agg.group_by)) != len(agg.group_by):
        raise ValidationError("group_by", agg.group_by, "a field is named twice")
    for n, name in enumerate(agg.group_by):
        if spec.field(name, path=f"group_by[{n}]").type == "str[]":
            raise ValidationError(f"group_by[{n}]", name, "cannot group by a str[] field")
    return CheckedAggregate(attrs.evolve(agg, where=where.query.where), spec, where)


def _check_measure(path: str, spec: KindSpec, measure: Measure, group_by: tuple[str, ...]) -> None:
    if not isinstance(measure, Measure) or measure.op not in _OPS:
        op = getattr(measure, "op", measure)
        raise ValidationError(f"{path}.op", op, f"one of {', '.join(_OPS)}")
    if measure.op == "count":
        if measure.field is not None:
            raise ValidationError(f"{path}.field", measure.field, "count counts records")
        return
    field = spec.field(measure.field, path=f"{path}.field")
    if field.type == "str[]":
        raise ValidationError(f"{path}.field", measure.field, "a str[] field has no min/max/sum")
    if measure.op == "sum" and field.type not in _SUMMABLE:
        raise ValidationError(
            f"{path}.field",
            measure.field,
            f"sum takes int or decimal fields, not {field.type} "
            "(a float sum depends on the order of addition; index a decimal)",
        )
    if field.type == "bool":
        raise ValidationError(f"{path}.field", measure.field, "min/max of a bool")
    if measure.op == "sum" and field.currency is not None and field.currency not in group_by:
        raise ValidationError(
            f"{path}.field",
            measure.field,
            f"a money amount; group by {field.currency!r} too, so amounts in different "
            "currencies are never added (Repository.total does)",
        )


def _group_order(key: tuple[IndexValue, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is not None, value) for value in key)


def finish_groups(checked: CheckedAggregate, groups: Iterable[Group]) -> list[Group]:
    """Groups in key order, sums checked alike; one empty group when nothing is grouped."""
    if not isinstance(checked, CheckedAggregate):
        raise ValidationError("checked", checked, "expected check_aggregate()'s result")
    groups = cast(list[Group], list(items("groups", groups)))
    for n, group in enumerate(groups):
        if not isinstance(group, Group):
            raise ValidationError(f"groups[{n}]", group, "expected a Group")
    agg = checked.aggregate
    out = sorted(groups, key=lambda g: _group_order(g.key))
    if not agg.group_by and not out:
        out = [Group((), {m.label: 0 if m.op == "count" else None for m in agg.measures})]
    for group in out:
        for m in agg.measures:
            value = group.values[m.label]
            if m.op == "sum" and value is not None:
                check_sum(m.label, value, decimal=checked.field_type(m) == "decimal")  # type: ignore[arg-type]
    return out


def _measure(measure: Measure, records: list[Record]) -> IndexValue:
    if measure.op == "count":
        return len(records)
    field = measure.field or ""
    values: list[Any] = [r.indexed[field] for r in records if r.indexed[field] is not None]
    if not values:
        return None
    if measure.op == "sum":
        return cast(IndexValue, sum(values[1:], values[0]))
    return cast(IndexValue, min(values) if measure.op == "min" else max(values))


def run_aggregate(records: Iterable[Record], checked: CheckedAggregate) -> list[Group]:
    """Evaluate a checked aggregate over *records* in Python (filter, group, compute)."""
    if not isinstance(checked, CheckedAggregate):
        raise ValidationError("checked", checked, "expected check_aggregate()'s result")
    agg = checked.aggregate
    probe = attrs.evolve(checked.where, cursor=None)
    hits = _matching(records, probe)
    buckets: dict[tuple[IndexValue, ...], list[Record]] = {}
    for record in hits:
        key = tuple(record.indexed[name] for name in agg.group_by)
        buckets.setdefault(key, []).append(record)
    groups = [
        Group(key, {m.label: _measure(m, members) for m in agg.measures})
        for key, members in buckets.items()
    ]
    return finish_groups(checked, groups)


def _matching(records: Iterable[Record], probe: CheckedQuery) -> list[Record]:
    everything = attrs.evolve(probe, query=attrs.evolve(probe.query, limit=2**62))
    return list(run_query(records, everything).records)


class _Queryable(Protocol):
    def query(self, query: Query) -> Page: ...


def aggregate(
    schema: Schema, store: _Queryable, agg: Aggregate, *, pushdown: bool = True
) -> list[Group]:
    """*agg* over *store*: by the store itself if it declares ``aggregates``, else in Python.

    The Python fallback (also with ``pushdown=False``) reads every matching
    record once, through plain queries, and gives the same answer.
    """
    capabilities: frozenset[str] = getattr(store, "capabilities", frozenset())
    run = getattr(store, "aggregate", None)
    if pushdown and "aggregates" in capabilities and callable(run):
        return cast(list[Group], run(agg))
    checked = check_aggregate(schema, agg)
    records: list[Record] = []
    after = None
    while True:
        page = store.query(Query(agg.kind, checked.aggregate.where, limit=_PAGE, after=after))
        records.extend(page.records)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return run_aggregate(records, checked)
