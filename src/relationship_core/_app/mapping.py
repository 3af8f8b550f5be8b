"""Domain objects <-> storage records, per kind, in one place (not in each backend).

A `KindMapping` says how one aggregate class is stored: its kind name,
the layout version of its document, the indexed fields extracted from the
object, the functions that upgrade documents written by older code, and the
references to other kinds the unit of work checks at commit. A
`MappingRegistry` holds the mappings a store is opened with, built from what
the feature plugins contribute (``relationship_core_kinds``).

Who wrote a record version (the `Actor`) travels under the reserved key
``"_actor"`` of the stored document, and when (the unit of work's clock, ISO
8601) under ``"_written_at"``; both are stripped before the object is
rebuilt, so the storage contract does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from relationship_core import _serialize
from relationship_core._domain.actor import Actor
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import MAX_ID_LENGTH, check_text, items
from relationship_core._storage.contract import IndexValue, Record, Write
from relationship_core._storage.schema import FieldSpec, KindSpec, Schema, check_identifier
from relationship_core.exceptions import CorruptRecordError, SchemaError, ValidationError

__all__ = ["ACTOR_KEY", "MONEY", "WRITTEN_AT_KEY", "KindMapping", "MappingRegistry", "Upgrade"]

#: The indexed type of a `Money` value: stored as ``<field>_amount`` and ``<field>_currency``.
MONEY = "money"

#: Reserved document key holding who wrote the record version.
ACTOR_KEY = "_actor"
#: Reserved document key holding when the record version was written (ISO 8601).
WRITTEN_AT_KEY = "_written_at"

T = TypeVar("T")

#: Turns a document of layout version N into one of version N + 1.
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def _fields(
    value: Mapping[str, tuple[str, Callable[[Any], IndexValue]]],
) -> dict[str, tuple[str, Callable[[Any], IndexValue]]]:
    if not isinstance(value, Mapping):
        raise ValidationError("indexed", value, "expected {field: (type, extractor)}")
    return dict(value)


def _references(value: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError("references", value, "expected {field: referenced kind}")
    for field, kind in value.items():
        check_text(f"references[{field!r}]", kind, max_length=MAX_ID_LENGTH)
    return dict(value)


def _unique(value: object) -> dict[str, Callable[[Any], Iterable[str]]]:
    if not isinstance(value, Mapping):
        raise ValidationError("unique", value, "expected {key: extractor}")
    for key, extract in value.items():
        check_identifier("unique", key)
        if not callable(extract):
            raise ValidationError(f"unique[{key!r}]", extract, "expected a function")
    return dict(value)


@attrs.frozen
class KindMapping(Generic[T]):
    """How one aggregate class is stored.

    Examples:
        >>> import attrs
        >>> @attrs.define
        ... class Note:
        ...     id: str
        ...     title: str
        >>> notes = KindMapping("note", Note, indexed={"title": ("str", lambda n: n.title)})
        >>> notes.kind_spec().fields[0].name
        'title'

    Attributes:
        kind: Record kind (identifier), e.g. ``"party"``.
        cls: The class to rebuild (a base class is fine if the serialiser
            dispatches on a field, as it does for parties).
        indexed: ``{field: (type, extractor)}``; type is a storage field type,
            with a trailing ``?`` when ``None`` is allowed, or ``"money"``: the
            extractor returns a `Money`, stored as the fields ``<field>_amount``
            (decimal) and ``<field>_currency`` (str), which
            `Repository.total` sums per currency.
        schema_version: Layout version of the documents this code writes.
        upgrades: ``{N: fn}`` turning a version-N document into version N + 1.
        id_of: Reads the id of an object.
        unstructure: Object -> JSON-able dict (default: the cattrs serialiser).
        structure: Dict -> object (default: the cattrs serialiser).
        references: ``{field: kind}``: the attribute holds the id of an object of
            that kind (``None`` allowed); a unit of work refuses to commit an
            object whose referenced object exists neither in the store nor in it.
        unique: ``{key: extractor}``: unique keys of the kind (`KindSpec.unique`);
            the extractor returns the values *obj* claims (e.g. all its e-mail
            addresses), and a write claiming a value another object holds
            raises ``UniqueKeyConflictError``.
        versions: Keep the versions its records replace, for `history`
            (`KindSpec.versions`; default on).
    """

    kind: str
    cls: type[T]
    indexed: dict[str, tuple[str, Callable[[Any], IndexValue]]] = attrs.field(
        factory=dict, converter=_fields
    )
    schema_version: int = 1
    upgrades: dict[int, Upgrade] = attrs.field(factory=dict)
    id_of: Callable[[T], str] = attrs.field(default=lambda obj: obj.id)
    unstructure: Callable[[T], dict[str, Any]] = _serialize.unstructure
    structure: Callable[[dict[str, Any], type[T]], T] = _serialize.structure
    references: dict[str, str] = attrs.field(factory=dict, converter=_references)
    unique: dict[str, Callable[[Any], Iterable[str]]] = attrs.field(factory=dict, converter=_unique)
    versions: bool = True

    def __attrs_post_init__(self) -> None:
        check_text("kind", self.kind, max_length=MAX_ID_LENGTH)
        if not isinstance(self.cls, type):
            raise ValidationError("cls", self.cls, "expected the class to store")
        version = self.schema_version
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError("schema_version", version, "expected a whole number from 1")
        if not isinstance(self.versions, bool):
            raise ValidationError("versions", self.versions, "expected True or False")
        if not isinstance(self.upgrades, Mapping):
            raise ValidationError("upgrades", self.upgrades, "expected {version: function}")
        for name, spec in self.indexed.items():
            if not (isinstance(spec, tuple) and len(spec) == 2 and callable(spec[1])):
                raise ValidationError(
                    f"indexed[{name!r}]", spec, "expected (type, extractor), e.g. ('str', f)"
                )
        missing = [v for v in range(1, self.schema_version) if v not in self.upgrades]
        if missing:
            raise ValidationError(
                f"{self.kind}.upgrades", missing, "give an upgrade from every older version"
            )

    def kind_spec(self) -> KindSpec:
        """The storage declaration of this kind."""
        fields: list[FieldSpec] = []
        for name, (ftype, _) in self.indexed.items():
            nullable = ftype.endswith("?")
            if ftype.rstrip("?") == MONEY:
                currency = f"{name}_currency"
                fields.append(FieldSpec(f"{name}_amount", "decimal", nullable, currency))
                fields.append(FieldSpec(currency, "str", nullable))
            else:
                fields.append(FieldSpec(name, ftype.rstrip("?"), nullable))  # type: ignore[arg-type]
        return KindSpec(self.kind, fields, unique=tuple(self.unique), versions=self.versions)

    def index_values(self, obj: T) -> dict[str, IndexValue]:
        """The indexed values extracted from *obj* (a money field as amount and currency)."""
        out: dict[str, IndexValue] = {}
        for name, (ftype, extract) in self.indexed.items():
            value = extract(obj)
            if ftype.rstrip("?") != MONEY:
                out[name] = value
            elif value is None:
                out[f"{name}_amount"] = out[f"{name}_currency"] = None
            elif isinstance(value, Money):
                out[f"{name}_amount"] = value.amount
                out[f"{name}_currency"] = value.currency.code
            else:
                raise ValidationError(f"indexed.{name}", value, "a money field extracts a Money")
        return out

    def with_references(self, **references: str) -> KindMapping[T]:
        """A copy also declaring *references* (``field="kind"``)."""
        return attrs.evolve(self, references={**self.references, **references})

    def references_of(self, obj: T) -> dict[str, str]:
        """``{field: id}`` of the references *obj* holds (``None`` ones left out)."""
        out = {}
        for field in self.references:
            value = getattr(obj, field)
            if value is not None:
                out[field] = value
        return out

    def to_write(
        self,
        obj: T,
        expected_version: int | None,
        data: dict[str, Any] | None = None,
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
    ) -> Write:
        """A write storing *obj* over the version the caller read (by *actor*, at *at*, if given)."""
        document = data if data is not None else self.unstructure(obj)
        if actor is not None or at is not None:
            document = dict(document)  # the caller's dict (a snapshot, maybe) stays as it is
            if actor is not None:
                document[ACTOR_KEY] = actor.to_dict()
            if at is not None:
                document[WRITTEN_AT_KEY] = require_aware("at", at).isoformat()
        return Write(
            self.kind,
            self.id_of(obj),
            document,
            self.index_values(obj),
            expected_version,
            self.schema_version,
            {key: list(extract(obj)) for key, extract in self.unique.items()},
        )

    @staticmethod
    def actor_of(record: Record) -> Actor:
        """Who wrote this record version (records from before 0.2: the system)."""
        stored = record.data.get(ACTOR_KEY)
        return Actor.system() if stored is None else Actor.from_dict(stored)

    @staticmethod
    def written_at_of(record: Record) -> datetime | None:
        """When this record version was written (``None``: before history was kept)."""
        stored = record.data.get(WRITTEN_AT_KEY)
        if not isinstance(stored, str):
            return None
        try:
            when = datetime.fromisoformat(stored)
        except ValueError:
            return None
        return when if when.tzinfo is not None else None

    def upgrade(self, record: Record) -> dict[str, Any]:
        """The record's document brought to `schema_version`."""
        version = record.schema_version
        if version > self.schema_version:
            raise SchemaError(
                f"{record.kind} {record.id!r} was written with layout {version}, newer than "
                f"this code's {self.schema_version}; upgrade relationship_core"
            )
        data = dict(record.data)
        data.pop(ACTOR_KEY, None)  # who wrote it (and when) is not part of the object
        data.pop(WRITTEN_AT_KEY, None)
        while version < self.schema_version:
            data = self.upgrades[version](data)
            version += 1
        return data

    def from_record(self, record: Record) -> T:
        """Rebuild the object stored in *record* (upgrading old documents).

        A document that does not rebuild (damaged, or refused by today's
        domain rules) raises `CorruptRecordError` naming the kind and id.
        """
        try:
            return self.structure(self.upgrade(record), self.cls)
        except SchemaError:
            raise
        except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # ValidationError from the serialiser or the domain; the builtins
            # from an upgrade function meeting a document it did not expect.
            reason = (
                str(exc) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
            )
            raise CorruptRecordError(record.kind, record.id, reason) from exc


class MappingRegistry:
    """The kinds a store knows, by kind name and by class."""

    def __init__(self, mappings: Iterable[KindMapping[Any]] = ()) -> None:
        self._by_kind: dict[str, KindMapping[Any]] = {}
        for mapping in items("mappings", mappings):
            self.register(mapping)  # type: ignore[arg-type]  # register checks the type

    def register(self, mapping: KindMapping[Any]) -> KindMapping[Any]:
        """Add a mapping; a kind or class already registered differently is refused."""
        if not isinstance(mapping, KindMapping):
            raise ValidationError("mapping", mapping, "expected a KindMapping")
        existing = self._by_kind.get(mapping.kind)
        if existing is not None and existing is not mapping:
            raise ValidationError("kind", mapping.kind, "already registered")
        for other in self._by_kind.values():
            if other.cls is mapping.cls and other is not mapping:
                raise ValidationError("cls", mapping.cls, f"already mapped as {other.kind!r}")
        self._by_kind[mapping.kind] = mapping
        return mapping

    def copy(self) -> MappingRegistry:
        """An independent registry with the same mappings."""
        return MappingRegistry(self._by_kind.values())

    def __iter__(self) -> Any:
        return iter(self._by_kind.values())

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_kind

    def get(self, kind: str) -> KindMapping[Any]:
        """The mapping of *kind*, or ``ValidationError`` listing the known kinds."""
        check_text("kind", kind)
        try:
            return self._by_kind[kind]
        except KeyError:
            raise ValidationError(
                "kind", kind, f"no mapping registered; known: {', '.join(self._by_kind)}"
            ) from None

    def for_class(self, cls: type[T]) -> KindMapping[T]:
        """The mapping of exactly *cls* (or of its nearest mapped base class)."""
        for base in cls.__mro__:
            for mapping in self._by_kind.values():
                if mapping.cls is base:
                    return mapping
        raise ValidationError(
            "cls", cls.__name__, f"no kind maps this class; known kinds: {', '.join(self._by_kind)}"
        )

    def for_object(self, obj: object) -> KindMapping[Any]:
        """The mapping whose class *obj* is an instance of (most specific first)."""
        for cls in type(obj).__mro__:
            for mapping in self._by_kind.values():
                if mapping.cls is cls:
                    return mapping
        raise ValidationError(
            "object", type(obj).__name__, "no storage mapping for this class; register one"
        )

    def schema(self) -> Schema:
        """The storage schema of every registered kind."""
        return Schema([m.kind_spec() for m in self._by_kind.values()])
