"""SQL text shared by the SQLite and PostgreSQL backends.

Only names that passed `check_identifier`
and were found in the declared `Schema` are ever formatted into SQL;
every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from relationship_core._storage.aggregate import CheckedAggregate
from relationship_core._storage.contract import Condition, FieldType, IndexValue, Record
from relationship_core._storage.schema import CheckedQuery, CheckedWrite, KindSpec, prefix_end
from relationship_core._storage.sqlmulti import multi_condition, multi_prefix_condition

__all__ = [
    "column",
    "conditions_sql",
    "index_name",
    "select_aggregate",
    "select_page",
    "stored_records",
    "table",
    "write_runs",
]

Encoder = Callable[[FieldType, IndexValue], Any]


def table(kind: str) -> str:
    """Table holding records of a (declared, checked) kind."""
    return f"rc_rec_{kind}"


def column(field: str) -> str:
    """Column of an indexed field, or ``id``."""
    return "id" if field == "id" else f"f_{field}"


def index_name(kind: str, field: str) -> str:
    """Index on one indexed field (at most 63 characters for PostgreSQL)."""
    return f"rc_ix_{kind}_{field}"


def record_columns(spec: KindSpec) -> str:
    """``id, version, schema_version, data, f_a, f_b`` for a kind."""
    return ", ".join(
        ["id", "version", "schema_version", "data"] + [column(f.name) for f in spec.fields]
    )


def conditions_sql(
    where: Sequence[Condition], spec: KindSpec, ph: str, encode: Encoder
) -> tuple[list[str], list[Any]]:
    """The clauses and parameters of checked conditions (joined with AND by the caller)."""
    clauses: list[str] = []
    params: list[Any] = []
    for cond in where:
        ftype = spec.field_type(cond.field)
        col = column(cond.field)
        if cond.op == "prefix":  # one index range: prefix <= value < prefix_end(prefix)
            prefix = str(cond.value)
            if ftype == "str[]":
                clause, extra = multi_prefix_condition(spec.name, cond.field, prefix, ph)
                clauses.append(clause)
                params.extend(extra)
                continue
            end = prefix_end(prefix)
            clauses.append(f"{col} >= {ph}" + (f" AND {col} < {ph}" if end else ""))
            params.extend([prefix, end] if end else [prefix])
        elif ftype == "str[]":  # contains / in: through the rc_multi side table
            given = [cond.value] if cond.op == "contains" else list(cond.value)  # type: ignore[call-overload]
            clause, extra = multi_condition(spec.name, cond.field, [str(v) for v in given], ph)
            clauses.append(clause)
            params.extend(extra)
        elif cond.op == "in":
            values = list(cond.value)  # type: ignore[call-overload]
            if not values:
                clauses.append("1 = 0")
                continue
            clauses.append(f"{col} IN ({', '.join([ph] * len(values))})")
            params.extend(encode(ftype, v) for v in values)
        elif cond.value is None:
            clauses.append(f"{col} IS NULL")
        else:
            sym = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[cond.op]
            clauses.append(f"{col} {sym} {ph}")
            params.append(encode(ftype, cond.value))  # type: ignore[arg-type]
    return clauses, params


def select_aggregate(checked: CheckedAggregate, ph: str, encode: Encoder) -> tuple[str, list[Any]]:
    """SELECT of the group keys then the measures, grouped (groups are ordered by the caller)."""
    agg = checked.aggregate
    clauses, params = conditions_sql(agg.where, checked.spec, ph, encode)
    keys = [column(name) for name in agg.group_by]
    measures = [
        "COUNT(*)" if m.op == "count" else f"{m.op.upper()}({column(m.field or '')})"
        for m in agg.measures
    ]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    return f"SELECT {', '.join(keys + measures)} FROM {table(agg.kind)}{where}{group}", params


def select_page(checked: CheckedQuery, ph: str, encode: Encoder) -> tuple[str, list[Any]]:
    """SELECT for one page (``limit + 1`` rows, to tell whether more follow)."""
    q = checked.query
    spec = checked.spec
    clauses, params = conditions_sql(q.where, spec, ph, encode)
    order = column(q.order_by)
    direction = "DESC" if q.descending else "ASC"
    if checked.cursor is not None:
        value, last_id = checked.cursor
        sym = "<" if q.descending else ">"
        if q.order_by == "id":
            clauses.append(f"id {sym} {ph}")
            params.append(last_id)
        else:
            clauses.append(f"({order}, id) {sym} ({ph}, {ph})")
            params.extend([encode(checked.order_type, value), last_id])
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    order_sql = f"{order} {direction}" + (f", id {direction}" if q.order_by != "id" else "")
    sql = (
        f"SELECT {record_columns(spec)} FROM {table(q.kind)}{where} ORDER BY {order_sql} LIMIT {ph}"
    )
    params.append(q.limit + 1)
    return sql, params


def write_runs(writes: Sequence[CheckedWrite]) -> Iterator[tuple[int, int, bool]]:
    """Split *writes* into runs ``(start, end, insert)`` that one ``executemany`` can take.

    A run is consecutive writes of one kind that are all inserts
    (``expected_version is None``) or all updates; order is preserved, so a
    later write of a record still follows an earlier one.
    """
    start = 0
    while start < len(writes):
        first = writes[start]
        insert = first.expected_version is None
        end = start + 1
        while (
            end < len(writes)
            and writes[end].kind == first.kind
            and (writes[end].expected_version is None) == insert
        ):
            end += 1
        yield start, end, insert
        start = end


def stored_records(writes: Sequence[CheckedWrite]) -> list[Record]:
    """The records *writes* leave behind once applied (each one version newer)."""
    return [
        Record(w.kind, w.id, (w.expected_version or 0) + 1, w.schema_version, w.data, w.indexed)
        for w in writes
    ]
