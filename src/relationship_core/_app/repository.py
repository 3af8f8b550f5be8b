"""Repositories: get, add, update and query the aggregates of one kind.

A `Repository` is bound to a store and, optionally, to a unit of work
(then its changes are written when the unit of work commits). It is generic
in the aggregate class, so ``crm.repository(Retainer)`` is a
``Repository[Retainer]`` and application code needs no casts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from relationship_core._app.mapping import MONEY, KindMapping
from relationship_core._domain.money import Money
from relationship_core._domain.validators import MAX_ID_LENGTH, check_text, items
from relationship_core._storage.aggregate import aggregate
from relationship_core._storage.contract import Aggregate, Condition, Group, Measure, Query, Record
from relationship_core._storage.schema import Schema
from relationship_core.exceptions import NotFoundError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.session import Session
    from relationship_core._app.uow import UnitOfWork

__all__ = ["Repository", "Results", "require_store"]

T = TypeVar("T")


@attrs.frozen
class Results(Generic[T]):
    """One page of objects from a repository query.

    Attributes:
        items: The objects, in query order.
        next_cursor: Pass as ``after=`` for the next page; ``None`` at the end.
    """

    items: tuple[T, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


#: What a service needs of an open store (a `CRM` has them all).
_STORE_PARTS = ("backend", "registry", "bus", "unit_of_work")


def require_store(field: str, value: object) -> None:
    """Refuse *value* unless it is an open store, so a service fails at its constructor.

    Without this a wrong argument surfaces later as an ``AttributeError`` deep
    inside the service; here it is a `ValidationError` naming the field.
    """
    missing = [part for part in _STORE_PARTS if not hasattr(value, part)]
    if missing:
        raise ValidationError(
            field, value, "expected an open store (relationship_core.open(url) gives one)"
        )


def _value(value: object) -> object:
    """Enums stand for their values in queries."""
    inner = getattr(value, "value", None)
    return inner if isinstance(inner, str) and type(value).__module__ != "builtins" else value


def _conditions(
    conditions: Sequence[Condition | tuple[str, str, object]], equals: dict[str, object]
) -> tuple[Condition, ...]:
    out = []
    for cond in conditions:
        c = cond if isinstance(cond, Condition) else Condition(*cond)  # type: ignore[arg-type]
        many = c.op == "in" and isinstance(c.value, list | tuple | set | frozenset)
        # Anything else is left for the schema check, which names the field and the value.
        value = [_value(v) for v in c.value] if many else _value(c.value)  # type: ignore[attr-defined]
        out.append(Condition(c.field, c.op, value))
    out.extend(Condition(name, "eq", _value(value)) for name, value in equals.items())
    return tuple(out)


class Repository(Generic[T]):
    """Get, add, update and query the aggregates of one kind.

    From a `UnitOfWork`, changes are written when it commits; from
    the CRM directly, each ``add``/``update`` is its own unit of work.
    """

    def __init__(
        self, crm: Session, mapping: KindMapping[T], uow: UnitOfWork | None = None
    ) -> None:
        self._crm = crm
        self.mapping = mapping
        self._uow = uow

    @property
    def kind(self) -> str:
        """The record kind."""
        return self.mapping.kind

    def _load(self, record: Record) -> T:
        if self._uow is not None:
            return self._uow._adopt(self.mapping, record)
        obj = self.mapping.from_record(record)
        self._crm._known.remember(obj, record.version)
        return obj

    def _require_own(self, obj: object) -> None:
        if not isinstance(obj, self.mapping.cls):
            raise ValidationError(
                "obj", obj, f"a {self.kind} repository stores {self.mapping.cls.__name__} objects"
            )

    def find(self, id: str) -> T | None:
        """The aggregate with this id, or ``None``."""
        check_text("id", id, max_length=MAX_ID_LENGTH)
        if self._uow is not None:
            entry = self._uow._entries.get((self.kind, id))
            if entry is not None:
                return entry.obj  # type: ignore[no-any-return]
        record = self._crm.backend.get_many(self.kind, [id]).get(id)
        return None if record is None else self._load(record)

    def get(self, id: str) -> T:
        """The aggregate with this id (``NotFoundError`` if there is none)."""
        found = self.find(id)
        if found is None:
            raise NotFoundError(self.kind, id)
        return found

    def get_many(self, ids: Sequence[str]) -> dict[str, T]:
        """The aggregates with these ids that exist, by id."""
        wanted = [
            check_text(f"ids[{i}]", v, max_length=MAX_ID_LENGTH)
            for i, v in enumerate(items("ids", ids))
        ]
        records = self._crm.backend.get_many(self.kind, wanted)
        return {rid: self._load(rec) for rid, rec in records.items()}

    def add(self, obj: T) -> T:
        """Store a new aggregate (``DuplicateIdError`` if its id is taken)."""
        self._require_own(obj)
        if self._uow is None:
            with self._crm.unit_of_work() as uow:
                uow.repository(self.mapping).add(obj)
            return obj
        self._uow._track(self.mapping, obj, None, None, new=True)
        return obj

    def update(self, obj: T) -> T:
        """Write a changed aggregate that was read earlier from this CRM.

        Objects loaded inside a unit of work are tracked already; this is for
        objects obtained elsewhere (e.g. ``crm.parties.get`` before the unit
        of work began). The write names the version the object was read at.
        """
        self._require_own(obj)
        if self._uow is None:
            with self._crm.unit_of_work() as uow:
                uow.repository(self.mapping).update(obj)
            return obj
        version = self._crm._known.version(obj)
        if version is None:
            raise ValidationError(
                "obj",
                self.mapping.id_of(obj),
                "was not read through this CRM, so its version is unknown; "
                "get() it first, or add() it if it is new",
            )
        self._uow._track(self.mapping, obj, version, None, new=False)
        return obj

    def delete(self, obj: T, *, cascade: bool = False) -> None:
        """Delete an aggregate at the version it was read (``ConflictError`` when stale).

        The mappings' references are checked first: an aggregate others
        refer to (a party with engagements) is refused with a
        ``ValidationError`` naming them, unless *cascade* deletes them (and
        theirs) too. Each deletion appends ``<kind>.deleted`` to the event log.
        """
        self._require_own(obj)
        if self._uow is None:
            with self._crm.unit_of_work() as uow:
                uow.repository(self.mapping).delete(obj, cascade=cascade)
            return
        if not isinstance(cascade, bool):
            raise ValidationError("cascade", cascade, "True or False")
        self._uow._delete(self.mapping, obj, self._crm._known.version(obj), cascade=cascade)

    def query(
        self,
        *conditions: Condition | tuple[str, str, object],
        order_by: str = "id",
        descending: bool = False,
        limit: int = 100,
        after: str | None = None,
        **equals: object,
    ) -> Results[T]:
        """One page of aggregates matching every condition.

        Conditions are ``(field, op, value)`` over the kind's indexed fields
        (ops: ``eq lt le gt ge in``); keyword arguments are equalities. Enum
        values are accepted and stored as their values.
        """
        query = Query(
            self.kind, _conditions(conditions, equals), order_by, descending, limit, after
        )
        page = self._crm.backend.query(query)
        return Results(tuple(self._load(r) for r in page.records), page.next_cursor)

    def iterate(
        self,
        *conditions: Condition | tuple[str, str, object],
        order_by: str = "id",
        descending: bool = False,
        batch: int = 500,
        **equals: object,
    ) -> Iterator[T]:
        """Every matching aggregate, fetched page by page."""
        after = None
        while True:
            page = self.query(
                *conditions,
                order_by=order_by,
                descending=descending,
                limit=batch,
                after=after,
                **equals,
            )
            yield from page.items
            if page.next_cursor is None:
                return
            after = page.next_cursor

    # -- exact aggregates ----------------------------------------------------------

    def aggregate(
        self,
        *conditions: Condition | tuple[str, str, object],
        measures: Sequence[Measure | str | tuple[str, str]] = ("count",),
        group_by: Sequence[str] | str = (),
        **equals: object,
    ) -> list[Group]:
        """Exact ``count``/``sum``/``min``/``max`` over the matching aggregates, per group.

        Conditions are those of `query`. Measures are ``"count"`` or
        ``(op, field)``, e.g. ``("sum", "total_amount")``; each `Group` has the
        ``group_by`` values as its ``key`` and ``{"count": 3, "sum(total_amount)":
        Decimal(...)}`` as its ``values``. Computed by the database where the
        backend declares ``aggregates``, in Python otherwise: the same answer.
        """
        return self._aggregate(conditions, equals, measures, group_by)

    def _aggregate(
        self,
        conditions: Sequence[Condition | tuple[str, str, object]],
        equals: dict[str, object],
        measures: Sequence[Measure | str | tuple[str, str]],
        group_by: Sequence[str] | str,
    ) -> list[Group]:
        agg = Aggregate(self.kind, _conditions(conditions, equals), measures, group_by)
        return aggregate(Schema([self.mapping.kind_spec()]), self._crm.backend, agg)

    def count(self, *conditions: Condition | tuple[str, str, object], **equals: object) -> int:
        """How many aggregates match (the conditions of `query`)."""
        [group] = self._aggregate(conditions, equals, ("count",), ())
        return int(group.values["count"])  # type: ignore[arg-type]

    def total(
        self, field: str, *conditions: Condition | tuple[str, str, object], **equals: object
    ) -> dict[str, Money]:
        """The sum of a money field per currency: ``{"EUR": Money(...), "USD": ...}``.

        Amounts in different currencies are never added; currencies without
        a matching aggregate are absent.
        """
        spec = self.mapping.indexed.get(field)
        if spec is None or spec[0].rstrip("?") != MONEY:
            money = [n for n, (t, _) in self.mapping.indexed.items() if t.rstrip("?") == MONEY]
            raise ValidationError(
                "field", field, f"not a money field of {self.kind}; money fields: {money or 'none'}"
            )
        amount, currency = f"{field}_amount", f"{field}_currency"
        groups = self._aggregate(conditions, equals, [("sum", amount)], [currency])
        return {
            str(g.key[0]): Money(g.values[f"sum({amount})"], str(g.key[0]))
            for g in groups
            if g.key[0] is not None and g.values[f"sum({amount})"] is not None
        }
