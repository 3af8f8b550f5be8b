"""The storage contract: the records, queries, events and jobs a backend stores.

Everything a backend author needs is a plain attrs value here or a Protocol in
`relationship_core._storage.protocols`; checks that every backend must
apply identically (kinds, fields, value types, cursors) live in
`relationship_core._storage.schema` so backends cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from relationship_core._domain.ids import new_id
from relationship_core._domain.validators import items
from relationship_core.exceptions import ValidationError

__all__ = [
    "CONTRACT_VERSION",
    "Aggregate",
    "AggregateOp",
    "Group",
    "Measure",
    "Capability",
    "Condition",
    "Delete",
    "FieldType",
    "IndexValue",
    "Job",
    "JobState",
    "NewEvent",
    "NewJob",
    "Op",
    "Page",
    "Query",
    "QueueStats",
    "Record",
    "StoredEvent",
    "Write",
]

#: The value types an indexed field can have.
FieldType: TypeAlias = Literal[
    "str", "int", "float", "bool", "datetime", "date", "decimal", "str[]"
]
#: A value of an indexed field (``None`` only for nullable fields).
IndexValue: TypeAlias = str | int | float | bool | datetime | date | Decimal | list[str] | None
#: What an aggregate measure computes.
AggregateOp: TypeAlias = Literal["count", "sum", "min", "max"]
#: Comparison operators a query condition can use.
Op: TypeAlias = Literal["eq", "lt", "le", "gt", "ge", "in", "contains", "prefix"]
#: The states a job moves through: pending -> claimed -> done, or back to pending
#: (retry / expired lease), or dead (dead-lettered after too many attempts);
#: cancelled (its group was cancelled) and discarded (a dead letter thrown away).
JobState: TypeAlias = Literal["pending", "claimed", "done", "dead", "cancelled", "discarded"]
#: Optional abilities a backend declares; the conformance kit skips tests of the
#: ones it lacks instead of failing them. ``job_control`` (contract 2): completing
#: jobs in a transaction, fencing, renewal, groups, dead letters, consumer positions.
#: ``aggregates``: the backend computes `Aggregate` queries itself (SQL pushes them
#: down); without it they are computed in Python over the query results.
#: ``unique_keys``: the backend enforces `Write.keys` atomically.
#: ``multi_valued``: the backend indexes ``str[]`` fields (``contains``/``in`` use an
#: index); without it they are evaluated in Python over the stored lists.
#: ``dump``: the backend exports and imports a whole store as values (``dump()`` /
#: ``load(items)``, `relationship_core._storage.dump`); without it a dump is read
#: through plain queries and the store cannot be loaded into.
#: ``resumable_load``: ``load(items, mark=LoadMark(...))`` writes a batch and its
#: progress marker atomically and ``load_mark()`` reads it back
#: (`relationship_core._storage.resume`), so an interrupted copy can continue.
#: ``versions``: every replaced or deleted record version is kept (layout 6's
#: ``rc_versions``) and read back with ``versions(kind, id)``
#: (`relationship_core._storage.versions`); without it history shows the current
#: version and the event log only.
Capability: TypeAlias = Literal[
    "persistent",
    "threads",
    "multiprocess",
    "job_control",
    "aggregates",
    "unique_keys",
    "multi_valued",
    "dump",
    "resumable_load",
    "versions",
]

#: The storage contract this library speaks. A backend declares the version it
#: was written for as ``contract_version`` (missing means 1).
CONTRACT_VERSION = 2


# Type aliases carry a docstring too, for help() and the API reference.
FieldType.__doc__ = (
    "The value types an indexed field can have: str, int, float, bool, datetime, date, decimal, "
    "str[] (a list of normalised text values, queried with contains/in)."
)
Op.__doc__ = (
    "Comparison operators of a query condition: eq, lt, le, gt, ge, in, contains, "
    "prefix (a str field, or any value of a str[] field, starts with the text)."
)
JobState.__doc__ = "A job's state: pending, claimed, done, dead, cancelled or discarded."
Capability.__doc__ = (
    "Optional backend abilities: persistent, threads, multiprocess, job_control, aggregates, "
    "unique_keys, multi_valued, dump, resumable_load, versions."
)
AggregateOp.__doc__ = "What an aggregate measure computes: count, sum, min or max."


def _frozen_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    if type(value) is dict:  # the common case, without an ABC check
        return value.copy()
    if not isinstance(value, Mapping):
        raise ValidationError("data", value, "expected a JSON object (a dict with str keys)")
    return dict(value)


@attrs.frozen
class Record:
    """One stored, versioned document.

    Attributes:
        kind: The declared kind, e.g. ``"party"``.
        id: Unique within its kind.
        version: 1 when first written, +1 on every write.
        schema_version: Version of the *domain* layout of ``data``, so the
            application can upgrade documents written by older code.
        data: The JSON-able document.
        indexed: Values of the kind's declared indexed fields.
    """

    kind: str
    id: str
    version: int
    schema_version: int
    data: dict[str, Any]
    indexed: dict[str, IndexValue] = attrs.field(factory=dict)


@attrs.frozen
class Write:
    """Create or replace one record, naming the version the writer last read.

    Attributes:
        kind: The declared kind.
        id: The record id.
        data: The new document (JSON-able dict).
        indexed: Values for every declared indexed field of the kind.
        expected_version: The version the writer read; ``None`` means the
            record must not exist yet. A stale value raises ``ConflictError``.
        schema_version: Domain layout version of ``data``.
        keys: Values each unique key of the kind claims for this record,
            ``{"email": ["ann@example.com"]}`` (normalised: trimmed,
            case-folded); a value another record holds raises
            ``UniqueKeyConflictError``. Keys left out claim nothing.
    """

    kind: str
    id: str
    data: dict[str, Any] = attrs.field(converter=_frozen_dict)
    indexed: dict[str, IndexValue] = attrs.field(factory=dict, converter=_frozen_dict)
    expected_version: int | None = None
    schema_version: int = 1
    keys: dict[str, Any] = attrs.field(factory=dict, converter=_frozen_dict)


@attrs.frozen
class Delete:
    """Remove one record, naming the version the writer last read.

    Attributes:
        kind: The declared kind.
        id: The record id.
        expected_version: The version the writer read; stale -> ``ConflictError``.
    """

    kind: str
    id: str
    expected_version: int


@attrs.frozen
class Condition:
    """One filter of a query: ``field op value``.

    ``field`` is a declared indexed field or ``"id"``. For ``"in"`` the value is
    a sequence. ``eq`` with ``None`` matches missing values of a nullable
    field; range operators never match ``None``. ``prefix`` matches a ``str``
    field that starts with the value (compared as given, code point by code
    point), or a ``str[]`` field holding a value that starts with it (the
    value normalised like the field's: trimmed, case-folded).
    """

    field: str
    op: Op
    value: object


def _conditions(value: object) -> tuple[Condition, ...]:
    if isinstance(value, Condition):
        return (value,)
    out = []
    for n, item in enumerate(items("where", value)):
        if isinstance(item, Condition):
            out.append(item)
        elif isinstance(item, tuple | list) and len(item) == 3:
            out.append(Condition(*item))
        else:
            raise ValidationError(f"where[{n}]", item, "expected a Condition or (field, op, value)")
    return tuple(out)


@attrs.frozen
class Query:
    """Records of one kind matching every condition, in a stable order.

    Results are ordered by ``order_by`` then by id (the tiebreak), ascending
    unless ``descending``; ``after`` is the opaque cursor of the previous page.

    Attributes:
        kind: The declared kind.
        where: Conditions, all of which must hold; tuples
            ``(field, op, value)`` are accepted too.
        order_by: An indexed (non-nullable) field or ``"id"``.
        descending: Reverse the order.
        limit: Page size, 1..10000.
        after: ``Page.next_cursor`` of the previous page, or ``None``.
    """

    kind: str
    where: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    order_by: str = "id"
    descending: bool = False
    limit: int = 100
    after: str | None = None


def _measures(value: object) -> tuple[Measure, ...]:
    if isinstance(value, Measure):
        return (value,)
    out = []
    for n, item in enumerate(items("measures", value)):
        if isinstance(item, Measure):
            out.append(item)
        elif isinstance(item, str):
            out.append(Measure(item))  # type: ignore[arg-type]
        elif isinstance(item, tuple | list) and len(item) == 2:
            out.append(Measure(*item))
        else:
            raise ValidationError(f"measures[{n}]", item, "expected a Measure or (op, field)")
    return tuple(out)


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(items("group_by", value))  # type: ignore[arg-type]


@attrs.frozen
class Measure:
    """One computed value of an aggregate: ``count``, or ``sum``/``min``/``max`` of a field.

    ``sum`` takes ``int`` and ``decimal`` fields (a float sum depends on the
    order of addition, so no two backends would agree); ``min``/``max`` any
    field but ``bool``. ``None`` values are skipped; over no values the
    result is ``None`` (``count`` is 0).
    """

    op: AggregateOp
    field: str | None = None

    @property
    def label(self) -> str:
        """The key of this measure in `Group.values`: ``count``, ``sum(amount)``."""
        return self.op if self.field is None else f"{self.op}({self.field})"


@attrs.frozen
class Aggregate:
    """Exact aggregates over the records of one kind matching every condition.

    Attributes:
        kind: The declared kind.
        where: Conditions, exactly as in `Query`.
        measures: What to compute; ``"count"`` and ``("sum", "amount")`` are accepted.
        group_by: Indexed fields to group by; one `Group` per distinct combination.
    """

    kind: str
    where: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    measures: tuple[Measure, ...] = attrs.field(default=(Measure("count"),), converter=_measures)
    group_by: tuple[str, ...] = attrs.field(default=(), converter=_names)


@attrs.frozen
class Group:
    """One row of an aggregate's answer.

    Groups come ordered by their key (``None`` first); without ``group_by``
    there is exactly one, with the empty key, even over no records.

    Attributes:
        key: The ``group_by`` fields' values.
        values: ``{Measure.label: value}``.
    """

    key: tuple[IndexValue, ...]
    values: dict[str, IndexValue]


@attrs.frozen
class Page:
    """One page of query results.

    Attributes:
        records: The records, in query order.
        next_cursor: Pass as ``Query.after`` for the next page; ``None`` when
            there are no more results.
    """

    records: tuple[Record, ...]
    next_cursor: str | None = None


@attrs.frozen
class NewEvent:
    """An event to append to the log.

    Attributes:
        type: Dotted event name, e.g. ``"engagement.started"``.
        aggregate_id: Id of the aggregate that produced it.
        occurred_at: When it happened (aware).
        data: JSON-able payload.
        aggregate_kind: Record kind of the aggregate, if any.
    """

    type: str
    aggregate_id: str
    occurred_at: datetime
    data: dict[str, Any] = attrs.field(factory=dict, converter=_frozen_dict)
    aggregate_kind: str = ""


@attrs.frozen
class StoredEvent:
    """An event in the log, with its position.

    Attributes:
        seq: Position in the log: 1, 2, 3... in commit order, never reused.
        type: Dotted event name.
        aggregate_id: Id of the aggregate that produced it.
        occurred_at: When it happened (UTC).
        data: JSON-able payload.
        aggregate_kind: Record kind of the aggregate, or ``""``.
    """

    seq: int
    type: str
    aggregate_id: str
    occurred_at: datetime
    data: dict[str, Any] = attrs.field(converter=_frozen_dict)
    aggregate_kind: str = ""


@attrs.frozen
class NewJob:
    """A job to enqueue.

    Attributes:
        queue: What kind of work it is, e.g. ``"notify.email"``.
        payload: JSON-able arguments for the worker.
        due_at: Not claimable before this instant (aware).
        idempotency_key: At most one job is ever enqueued per key; enqueuing
            a duplicate returns the existing job's id instead.
        max_attempts: Claims allowed before the job is dead-lettered.
        id: Generated unless given.
        group: Jobs cancelled together, e.g. ``"followups:<proposal id>"``.
    """

    queue: str
    payload: dict[str, Any] = attrs.field(converter=_frozen_dict)
    due_at: datetime
    idempotency_key: str | None = None
    max_attempts: int = 5
    id: str = attrs.field(factory=new_id)
    group: str | None = None


@attrs.frozen
class Job:
    """A job as stored.

    Attributes:
        id: Job id.
        queue: What kind of work it is.
        payload: JSON-able arguments.
        due_at: Earliest instant it may be claimed (UTC).
        state: ``pending``, ``claimed``, ``done``, ``dead``, ``cancelled``
            or ``discarded``.
        attempts: How many times it has been claimed.
        max_attempts: Claims allowed before it is dead-lettered.
        idempotency_key: Its key, if any.
        lease_owner: The worker holding it while ``claimed``.
        lease_expires_at: When the lease lapses and the job is claimable again.
        last_error: What the last failed attempt reported.
        group: Its group, if any (`Transaction.cancel_group`).
        fence: Fencing token, +1 on every claim: only the holder of the
            newest fence may renew, retry or complete the job.
    """

    id: str
    queue: str
    payload: dict[str, Any] = attrs.field(converter=_frozen_dict)
    due_at: datetime
    state: JobState
    attempts: int
    max_attempts: int
    idempotency_key: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_error: str | None = None
    group: str | None = None
    fence: int = 0


@attrs.frozen
class QueueStats:
    """How one queue is doing (``job_stats``).

    Attributes:
        queue: The queue.
        pending: Jobs waiting (due or not).
        due: Pending jobs due now.
        claimed: Jobs held by workers.
        dead: Dead letters.
        oldest_due: ``due_at`` of the oldest due job (``None`` when none is due).
        lag: How long the oldest due job has waited (``None`` when none is due).
    """

    queue: str
    pending: int = 0
    due: int = 0
    claimed: int = 0
    dead: int = 0
    oldest_due: datetime | None = None
    lag: timedelta | None = None
