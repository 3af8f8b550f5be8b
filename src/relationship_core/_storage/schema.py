"""Declared kinds and the checks every backend applies before touching storage.

A backend is opened with a `Schema`: the kinds it may store and each
kind's indexed fields. Names are checked against a strict identifier pattern
here, once, so SQL backends can use them in statements (they never see a name
that was not declared); values are always passed as parameters.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, cast

import attrs

from relationship_core._domain.validators import items
from relationship_core._storage.contract import (
    Condition,
    Delete,
    FieldType,
    IndexValue,
    Job,
    NewEvent,
    NewJob,
    Page,
    Query,
    Record,
    Write,
)
from relationship_core._storage.exact import check_decimal, from_units, to_units
from relationship_core._storage.unique import KeyClaims, check_keys, normalise_key
from relationship_core.exceptions import CorruptRecordError, ValidationError

__all__ = [
    "FIELD_TYPES",
    "MAX_INDEXED_TEXT",
    "CheckedQuery",
    "CheckedWrite",
    "FieldSpec",
    "check_claim",
    "check_position",
    "check_multi",
    "check_unicode",
    "multi_rows",
    "prefix_end",
    "load_document",
    "KindSpec",
    "Schema",
    "decode_value",
    "dump_json",
    "encode_value",
    "run_query",
]

FIELD_TYPES: tuple[FieldType, ...] = (
    "str",
    "int",
    "float",
    "bool",
    "datetime",
    "date",
    "decimal",
    "str[]",
)
_IDENT = re.compile(r"[a-z][a-z0-9_]{0,27}")
_RESERVED = frozenset({"id", "version", "schema_version", "data"})
_MAX_ID = 200
_MAX_LIMIT = 10_000
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_OPS = frozenset({"eq", "lt", "le", "gt", "ge", "in", "contains", "prefix"})
_MAX_MULTI = 100  # values one str[] field of one record may hold
#: Longest indexed text value, in bytes of UTF-8: every backend's index must hold it
#: (PostgreSQL's B-tree rows stop at about 2,700 bytes, and the id shares the row).
MAX_INDEXED_TEXT = 1_000
_SHOWN = 40  # characters of a long value a message shows


def shortened(value: str) -> str:
    """*value* cut to a length fit for a message."""
    return value if len(value) <= _SHOWN else f"{value[:_SHOWN]}… ({len(value):,} characters)"


def check_identifier(field: str, value: object) -> str:
    """Return *value* if it is a safe identifier (``[a-z][a-z0-9_]{0,27}``)."""
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        raise ValidationError(
            field,
            value,
            "names must match [a-z][a-z0-9_]{0,27} (lower-case letter, then letters, digits, _)",
        )
    return value


def check_unicode(field: str, text: str, shown: object) -> None:
    """Refuse *text* if it holds a lone surrogate, which no UTF-8 store can keep.

    *shown* is what the error names as the value (the document, not its JSON).
    """
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ValidationError(
            field,
            shown,
            f"contains a lone surrogate {bad!r}, which is not valid Unicode; "
            "decode the source text properly (e.g. errors='replace') before storing it",
        ) from None


def check_text(field: str, value: object, *, max_len: int = _MAX_ID) -> str:
    """Return *value* if it is a non-empty string without NUL, at most *max_len* long."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, value, "expected a non-empty string")
    if len(value) > max_len:
        raise ValidationError(field, value, f"longer than {max_len} characters")
    if "\x00" in value:
        raise ValidationError(field, value, "NUL characters are not allowed")
    check_unicode(field, value, value)
    return value


def load_document(raw: Any, kind: str, rid: str) -> dict[str, Any]:
    """A stored document (JSON text or already decoded) as a dict, or `CorruptRecordError`."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise CorruptRecordError(kind, rid, f"its document is not valid JSON ({exc})") from None
    if type(raw) is not dict:
        raise CorruptRecordError(
            kind, rid, f"its document is a JSON {type(raw).__name__}, not an object"
        )
    return raw


def dump_json(field: str, value: object) -> str:
    """Encode a JSON-able document compactly; refuse what JSON cannot carry faithfully."""
    if not isinstance(value, dict):
        raise ValidationError(field, value, "expected a JSON object (dict with str keys)")
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            field, value, f"not JSON-able ({exc}); use dicts, lists, str, int, float, bool, None"
        ) from None
    if "\\u0000" in text:
        raise ValidationError(field, value, "NUL characters are not allowed in stored documents")
    check_unicode(field, text, value)
    return text


def _utc(field: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "expected a time zone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, value, "naive datetimes are refused; attach a time zone")
    return value.astimezone(UTC)


def check_value(field: str, ftype: FieldType, value: object) -> IndexValue:  # noqa: PLR0912 - one branch per type
    """Return *value* normalised for *ftype* or raise ``ValidationError`` naming *field*."""
    if ftype == "str":
        if isinstance(value, str):
            if "\x00" in value:
                raise ValidationError(field, value, "NUL characters are not allowed")
            # 4 bytes a character at most: only a long value can be too long.
            if len(value) * 4 > MAX_INDEXED_TEXT and (
                len(value.encode("utf-8", "surrogatepass")) > MAX_INDEXED_TEXT
            ):
                raise ValidationError(
                    field,
                    shortened(value),
                    f"indexed text is limited to {MAX_INDEXED_TEXT:,} bytes of UTF-8; "
                    "keep long text in the document and index a shorter key",
                )
            check_unicode(field, value, shortened(value))
            return value
    elif ftype == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if not _INT_MIN <= value <= _INT_MAX:
                raise ValidationError(field, value, "integers must fit in 64 bits")
            return value
    elif ftype == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            result = float(value)
            if not math.isfinite(result):
                raise ValidationError(field, value, "NaN and infinities are not allowed")
            return result
    elif ftype == "bool":
        if isinstance(value, bool):
            return value
    elif ftype == "datetime":
        return _utc(field, value)
    elif ftype == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    elif ftype == "decimal":
        return check_decimal(field, value)
    elif ftype == "str[]":
        return check_multi(field, value)
    raise ValidationError(field, value, f"expected a value of type {ftype}")


def check_multi(field: str, value: object) -> list[str]:
    """A ``str[]`` value: its items normalised like unique keys, sorted, without duplicates."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
        raise ValidationError(field, value, "expected a list of str values")
    if len(value) > _MAX_MULTI:
        raise ValidationError(field, len(value), f"at most {_MAX_MULTI} values")
    return sorted({normalise_key(v, f"{field}[{n}]") for n, v in enumerate(value)})


def prefix_end(prefix: str) -> str:
    """The smallest string greater than every string starting with *prefix* (``""``: none).

    ``prefix <= s < prefix_end(prefix)`` holds exactly for the strings *s*
    starting with *prefix*, in code point order (SQLite's and PostgreSQL's
    ``"C"`` collation alike), so a prefix is one index range.
    """
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not text
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return ""


def multi_rows(
    spec: KindSpec, rid: str, indexed: Mapping[str, IndexValue]
) -> list[tuple[str, ...]]:
    """``(kind, field, value, record id)`` rows of a record's ``str[]`` fields."""
    return [
        (spec.name, f.name, v, rid)
        for f in spec.fields
        if f.type == "str[]"
        for v in cast(list[str], indexed.get(f.name) or [])
    ]


def encode_value(ftype: FieldType, value: IndexValue) -> str | int | float | bool | None:
    """Turn a checked value into a JSON/SQLite scalar that sorts like the value."""
    if value is None:
        return None
    if ftype == "datetime":
        return cast(datetime, value).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    if ftype == "date":
        return cast(date, value).isoformat()
    if ftype == "bool":
        return bool(value)
    if ftype == "decimal":
        return to_units(cast(Decimal, value))
    if ftype == "str[]":
        return json.dumps(value, ensure_ascii=False)
    return cast(str | int | float, value)


def decode_value(ftype: FieldType, value: Any) -> IndexValue:
    """Inverse of `encode_value`."""
    if value is None:
        return None
    if ftype == "datetime":
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(value).astimezone(UTC)
    if ftype == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if ftype == "bool":
        return bool(value)
    if ftype == "float":
        return float(value)
    if ftype == "decimal":
        return from_units(value)
    if ftype == "str[]":
        return cast(IndexValue, json.loads(value) if isinstance(value, str) else list(value))
    return cast(IndexValue, value)


@attrs.frozen
class FieldSpec:
    """One indexed field of a kind.

    Attributes:
        name: Identifier (``[a-z][a-z0-9_]{0,27}``, not ``id``/``version``/...).
        type: One of ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``.
        nullable: Whether ``None`` is allowed. Nullable fields can be
            filtered but not ordered by.
        currency: For a ``decimal`` money amount, the ``str`` field holding
            its currency: a sum of it must be grouped by that field, so
            amounts in different currencies are never added.
    """

    name: str
    type: FieldType
    nullable: bool = False
    currency: str | None = None

    def __attrs_post_init__(self) -> None:
        check_identifier("field", self.name)
        if self.name in _RESERVED:
            raise ValidationError("field", self.name, f"reserved names: {sorted(_RESERVED)}")
        if self.type not in FIELD_TYPES:
            raise ValidationError(f"{self.name}.type", self.type, f"one of {FIELD_TYPES}")
        if self.type == "str[]" and self.nullable:
            raise ValidationError(
                f"{self.name}.nullable",
                self.nullable,
                "a str[] field is never null (store an empty list)",
            )


def _fields(value: Mapping[str, str | FieldSpec] | Iterable[FieldSpec]) -> tuple[FieldSpec, ...]:
    if isinstance(value, Mapping):
        out: list[FieldSpec] = []
        for name, spec in value.items():
            if isinstance(spec, FieldSpec):
                out.append(spec)
                continue
            if not isinstance(spec, str):
                raise ValidationError(f"fields[{name!r}]", spec, f"one of {FIELD_TYPES}")
            nullable = spec.endswith("?")
            out.append(FieldSpec(name, cast(FieldType, spec.rstrip("?")), nullable))
        return tuple(out)
    return _all_of("fields", FieldSpec, value)


def _all_of(field: str, cls: type[Any], value: object) -> tuple[Any, ...]:
    out = tuple(items(field, value))
    for n, item in enumerate(out):
        if not isinstance(item, cls):
            raise ValidationError(f"{field}[{n}]", item, f"expected a {cls.__name__}")
    return out


def _unique_names(value: object) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(items("unique", value))
    for name in names:
        check_identifier("unique", name)
    if len(set(names)) != len(names):
        raise ValidationError("unique", value, "a unique key is declared twice")
    return names  # type: ignore[return-value]


@attrs.frozen
class KindSpec:
    """A kind of record and its indexed fields.

    Examples:
        >>> spec = KindSpec("party", {"name": "str", "email": "str?", "score": "int"})
        >>> {f.name: f.type for f in spec.fields}
        {'name': 'str', 'email': 'str', 'score': 'int'}
        >>> spec.field("email").nullable
        True

    Attributes:
        name: Identifier of the kind.
        fields: The indexed fields; a mapping ``{"name": "str", "email": "str?"}``
            is accepted (a trailing ``?`` marks a nullable field).
        unique: Names of unique keys (identifiers): no two records may claim
            the same normalised value of one (`Write.keys`).
        versions: Whether a backend with the ``versions`` capability keeps the
            versions its records replace (default). Off for high-churn
            bookkeeping (a rate-limit counter) whose history tells nobody
            anything: every update would copy a row for nothing.
    """

    name: str
    fields: tuple[FieldSpec, ...] = attrs.field(default=(), converter=_fields)
    unique: tuple[str, ...] = attrs.field(default=(), converter=_unique_names)
    versions: bool = attrs.field(default=True)
    _by_name: dict[str, FieldSpec] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        check_identifier("kind", self.name)
        if not isinstance(self.versions, bool):
            raise ValidationError(f"{self.name}.versions", self.versions, "expected True or False")
        by_name: dict[str, FieldSpec] = {}
        for spec in self.fields:
            if spec.name in by_name:
                raise ValidationError(f"{self.name}.fields", spec.name, "declared twice")
            by_name[spec.name] = spec
        for spec in self.fields:
            if spec.currency is None:
                continue
            other = by_name.get(spec.currency)
            if spec.type != "decimal" or other is None or other.type != "str":
                raise ValidationError(
                    f"{self.name}.{spec.name}.currency",
                    spec.currency,
                    "a money amount is a decimal field naming a declared str field",
                )
        object.__setattr__(self, "_by_name", by_name)

    def field(self, name: object, *, path: str = "field") -> FieldSpec:
        """The declared field *name*, or ``ValidationError`` listing the declared ones."""
        spec = self._by_name.get(name) if isinstance(name, str) else None
        if spec is None:
            raise ValidationError(
                path,
                name,
                f"kind {self.name!r} has no indexed field of that name; "
                f"declared: {', '.join(self._by_name) or 'none'}",
            )
        return spec

    def field_type(self, name: str, *, path: str = "field") -> FieldType:
        """The type of a declared field, or ``"str"`` for the pseudo-field ``id``."""
        return "str" if name == "id" else self.field(name, path=path).type

    def check_indexed(self, values: Mapping[str, object]) -> dict[str, IndexValue]:
        """Return the indexed values checked and normalised; every field must be present."""
        out: dict[str, IndexValue] = {}
        for key in values:
            self.field(key, path="indexed")
        for spec in self.fields:
            if spec.name not in values:
                raise ValidationError(
                    f"indexed.{spec.name}", None, f"missing; kind {self.name!r} declares it"
                )
            value = values[spec.name]
            if value is None:
                if not spec.nullable:
                    raise ValidationError(f"indexed.{spec.name}", None, "field is not nullable")
                out[spec.name] = None
            else:
                out[spec.name] = check_value(f"indexed.{spec.name}", spec.type, value)
        return out


class CheckedWrite(NamedTuple):
    """A `Write` whose kind, id, versions and indexed values were checked."""

    kind: str
    id: str
    data: dict[str, Any]
    indexed: dict[str, IndexValue]
    expected_version: int | None
    schema_version: int
    keys: KeyClaims = ()


@attrs.frozen
class CheckedQuery:
    """A query whose names, values and cursor were checked against the schema.

    Attributes:
        query: The query with normalised condition values.
        spec: The kind's spec.
        order_type: Type of the ordering field.
        cursor: ``(order value, id)`` decoded from ``query.after``, or ``None``.
    """

    query: Query
    spec: KindSpec
    order_type: FieldType
    cursor: tuple[IndexValue, str] | None

    def next_cursor(self, last: Record) -> str:
        """The opaque cursor that continues after *last*."""
        q = self.query
        value = last.id if q.order_by == "id" else last.indexed[q.order_by]
        raw = [q.kind, q.order_by, q.descending, encode_value(self.order_type, value), last.id]
        text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _kinds(value: Iterable[KindSpec]) -> tuple[KindSpec, ...]:
    return _all_of("kinds", KindSpec, value)


@attrs.frozen
class Schema:
    """The kinds a backend is opened with.

    Examples:
        >>> schema = Schema([KindSpec("party", {"name": "str"})])
        >>> schema.kind("party").name
        'party'
        >>> schema.kind("robot")
        Traceback (most recent call last):
        ...
        relationship_core.exceptions.ValidationError: kind='robot': unknown kind; declared: party

    Attributes:
        kinds: The declared kinds.
    """

    kinds: tuple[KindSpec, ...] = attrs.field(converter=_kinds)
    _by_name: dict[str, KindSpec] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_name: dict[str, KindSpec] = {}
        for spec in self.kinds:
            if spec.name in by_name and by_name[spec.name] != spec:
                raise ValidationError("kinds", spec.name, "declared twice, differently")
            by_name[spec.name] = spec
        object.__setattr__(self, "_by_name", by_name)

    def kind(self, name: object) -> KindSpec:
        """The declared kind *name*, or ``ValidationError`` listing the declared ones."""
        spec = self._by_name.get(name) if isinstance(name, str) else None
        if spec is None:
            raise ValidationError(
                "kind", name, f"unknown kind; declared: {', '.join(self._by_name) or 'none'}"
            )
        return spec

    def merged(self, other: Schema) -> Schema:
        """Both schemas' kinds (a kind declared in both must be declared alike)."""
        return Schema(self.kinds + tuple(k for k in other.kinds if k.name not in self._by_name))

    # -- checks every backend runs -------------------------------------------------

    def check_id(self, value: object, field: str = "id") -> str:
        """Return a valid record id."""
        return check_text(field, value)

    def check_write(self, write: Write) -> CheckedWrite:
        """Return *write* with normalised indexed values, or raise ``ValidationError``."""
        spec = self.kind(write.kind)
        self.check_id(write.id)
        exp = write.expected_version
        if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int) or exp < 1):
            raise ValidationError("expected_version", exp, "None (new record) or a version >= 1")
        if (
            isinstance(write.schema_version, bool)
            or not isinstance(write.schema_version, int)
            or write.schema_version < 1
        ):
            raise ValidationError("schema_version", write.schema_version, "an int >= 1")
        if not isinstance(write.data, dict):
            raise ValidationError("data", write.data, "expected a JSON object")
        return CheckedWrite(
            write.kind,
            write.id,
            write.data,
            spec.check_indexed(write.indexed),
            exp,
            write.schema_version,
            check_keys(spec.name, spec.unique, write.keys) if write.keys else (),
        )

    def check_delete(self, delete: Delete) -> Delete:
        """Return *delete* if its kind, id and version are valid."""
        self.kind(delete.kind)
        self.check_id(delete.id)
        exp = delete.expected_version
        if isinstance(exp, bool) or not isinstance(exp, int) or exp < 1:
            raise ValidationError("expected_version", exp, "a version >= 1")
        return delete

    def check_ids(self, kind: str, ids: Sequence[str]) -> tuple[KindSpec, list[str]]:
        """Return the kind's spec and the ids, each checked."""
        spec = self.kind(kind)
        if isinstance(ids, str):
            raise ValidationError("ids", ids, "expected a sequence of ids, not one string")
        checked = list(ids)
        for n, rid in enumerate(checked):
            if (
                type(rid) is not str
                or not rid
                or len(rid) > _MAX_ID
                or "\x00" in rid
                or not rid.isascii()
            ):
                check_text(f"ids[{n}]", rid)  # raises with the reason, if there is one
        return spec, checked

    def check_query(self, query: Query) -> CheckedQuery:
        """Check names, operators, value types, limit and cursor of *query*."""
        spec = self.kind(query.kind)
        conditions = [_check_condition(spec, f"where[{n}]", c) for n, c in enumerate(query.where)]
        order_type = spec.field_type(query.order_by, path="order_by")
        if order_type == "str[]":
            raise ValidationError("order_by", query.order_by, "cannot order by a str[] field")
        if query.order_by != "id" and spec.field(query.order_by).nullable:
            raise ValidationError("order_by", query.order_by, "cannot order by a nullable field")
        if not isinstance(query.descending, bool):
            raise ValidationError("descending", query.descending, "expected a bool")
        lim = query.limit
        if isinstance(lim, bool) or not isinstance(lim, int) or not 1 <= lim <= _MAX_LIMIT:
            raise ValidationError("limit", lim, f"an int from 1 to {_MAX_LIMIT}")
        cursor = None
        if query.after is not None:
            cursor = _decode_cursor(query, order_type)
        checked = attrs.evolve(query, where=tuple(conditions))
        return CheckedQuery(checked, spec, order_type, cursor)

    def check_event(self, event: NewEvent) -> NewEvent:
        """Return *event* with ``occurred_at`` in UTC, or raise ``ValidationError``."""
        check_text("type", event.type)
        check_text("aggregate_id", event.aggregate_id)
        if event.aggregate_kind:
            self.kind(event.aggregate_kind)
        return attrs.evolve(event, occurred_at=_utc("occurred_at", event.occurred_at))

    def check_job(self, job: NewJob) -> NewJob:
        """Return *job* with ``due_at`` in UTC, or raise ``ValidationError``."""
        check_text("queue", job.queue)
        check_text("id", job.id)
        if job.idempotency_key is not None:
            check_text("idempotency_key", job.idempotency_key, max_len=500)
        if job.group is not None:
            check_text("group", job.group, max_len=500)
        mx = job.max_attempts
        if isinstance(mx, bool) or not isinstance(mx, int) or mx < 1:
            raise ValidationError("max_attempts", mx, "an int >= 1")
        return attrs.evolve(job, due_at=_utc("due_at", job.due_at))

    def check_retry(self, due_at: datetime, error: object) -> tuple[datetime, str]:
        """Return ``retry_job``'s due time in UTC and its error text."""
        text = str(error)
        # Diagnostic text is kept, not refused (that would lose the retry): made storable.
        if not text.isascii():
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return _utc("due_at", due_at), text.replace("\x00", "\\x00")


def _check_condition(spec: KindSpec, path: str, cond: Condition) -> Condition:
    """One query condition, checked against *spec* and normalised."""
    ftype = spec.field_type(cond.field, path=f"{path}.field")
    nullable = cond.field != "id" and spec.field(cond.field).nullable
    if cond.op not in _OPS:
        raise ValidationError(f"{path}.op", cond.op, f"one of {sorted(_OPS)}")
    if ftype == "str[]" and cond.op not in ("contains", "in", "prefix"):
        raise ValidationError(f"{path}.op", cond.op, "a str[] field takes contains, in or prefix")
    if cond.op == "prefix":
        if ftype == "str[]":
            return Condition(cond.field, "prefix", normalise_key(cond.value, f"{path}.value"))
        if ftype != "str":
            raise ValidationError(f"{path}.op", cond.op, "prefix takes a str or str[] field")
        text = check_value(f"{path}.value", "str", cond.value)
        if not text:
            raise ValidationError(f"{path}.value", cond.value, "a prefix cannot be empty")
        return Condition(cond.field, "prefix", text)
    if cond.op == "contains":
        if ftype != "str[]":
            raise ValidationError(f"{path}.op", cond.op, "contains takes a str[] field")
        return Condition(cond.field, "contains", normalise_key(cond.value, f"{path}.value"))
    if cond.op == "in":
        if isinstance(cond.value, str | bytes) or not isinstance(cond.value, Iterable):
            raise ValidationError(f"{path}.value", cond.value, "'in' takes a sequence")
        items = tuple(
            normalise_key(v, f"{path}.value[{i}]")
            if ftype == "str[]"
            else check_value(f"{path}.value[{i}]", ftype, v)
            for i, v in enumerate(cond.value)
        )
        return Condition(cond.field, "in", items)
    if cond.value is None:
        if not (cond.op == "eq" and nullable):
            raise ValidationError(f"{path}.value", None, "None only with 'eq' on a nullable field")
        return cond
    return Condition(cond.field, cond.op, check_value(f"{path}.value", ftype, cond.value))


def _decode_cursor(query: Query, order_type: FieldType) -> tuple[IndexValue, str]:
    after = query.after
    try:
        padded = cast(str, after) + "=" * (-len(cast(str, after)) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        kind, order_by, descending, value, last_id = raw
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, AttributeError):
        raise ValidationError("after", after, "not a cursor returned by this query") from None
    if (kind, order_by, descending) != (query.kind, query.order_by, query.descending):
        raise ValidationError("after", after, "cursor belongs to a query with another order")
    if not isinstance(last_id, str):
        raise ValidationError("after", after, "not a cursor returned by this query")
    check_unicode("after", last_id, after)
    try:
        decoded = decode_value(order_type, value)
        check_value("after", order_type, decoded)
    except (ValueError, TypeError):
        raise ValidationError("after", after, "not a cursor returned by this query") from None
    return decoded, last_id


def check_position(after: int, limit: int) -> None:
    """Refuse a bad event-log position or page size."""
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValidationError("after", after, "a sequence number >= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise ValidationError("limit", limit, "an int from 1 to 10000")


def check_claim(worker: str, now: datetime | None, lease: timedelta, limit: int) -> datetime | None:
    """Check the arguments of ``claim_jobs``; return *now* in UTC (``None``: the store's clock)."""
    check_text("worker", worker)
    check_lease(lease)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationError("limit", limit, "an int from 1 to 1000")
    return None if now is None else _utc("now", now)


def check_lease(lease: timedelta) -> None:
    """Refuse a lease that is not a positive timedelta."""
    if not isinstance(lease, timedelta) or lease <= timedelta(0):
        raise ValidationError("lease", lease, "a positive timedelta")


def check_instant(field: str, value: datetime | None) -> datetime | None:
    """*value* in UTC (``None`` stays ``None``), or ``ValidationError`` naming *field*."""
    return None if value is None else _utc(field, value)


def check_list_jobs(states: Sequence[str] | None, limit: int) -> tuple[str, ...] | None:
    """Check ``list_jobs``'s states and page size."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise ValidationError("limit", limit, "an int from 1 to 10000")
    if states is None:
        return None
    if isinstance(states, str):
        raise ValidationError("states", states, "a list of states, e.g. ['dead']")
    known = ("pending", "claimed", "done", "dead", "cancelled", "discarded")
    for state in states:
        if state not in known:
            raise ValidationError("states", state, f"one of {', '.join(known)}")
    return tuple(states)


def check_consumer(consumer: str, seq: int | None = None) -> None:
    """Refuse a bad consumer name or event-log position."""
    check_text("consumer", consumer, max_len=200)
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
        raise ValidationError("seq", seq, "a sequence number >= 0")


# -- evaluation in Python, for backends that keep records in memory -----------------


def _matches(record: Record, cond: Condition) -> bool:
    actual = record.id if cond.field == "id" else record.indexed.get(cond.field)
    if cond.op == "eq":
        return actual == cond.value if cond.value is not None else actual is None
    if actual is None:
        return False
    value: Any = cond.value
    if cond.op == "contains":
        return value in cast(list[str], actual)
    if cond.op == "prefix":
        if isinstance(actual, list):
            return any(v.startswith(value) for v in actual)
        return cast(str, actual).startswith(value)
    if cond.op == "in":
        if isinstance(actual, list):  # a str[] field: holds any of them
            return any(v in actual for v in value)
        return actual in value
    if cond.op == "lt":
        return bool(actual < value)
    if cond.op == "le":
        return bool(actual <= value)
    if cond.op == "gt":
        return bool(actual > value)
    return bool(actual >= value)


def run_query(records: Iterable[Record], checked: CheckedQuery) -> Page:
    """Evaluate a checked query over *records* in Python (filter, order, page).

    Backends that hold their records in memory (and the reference model of
    the conformance kit) use this, so they order and page exactly alike.
    """
    if not isinstance(checked, CheckedQuery):
        raise ValidationError("checked", checked, "expected Schema.check_query(query)'s result")
    q = checked.query

    def key(rec: Record) -> tuple[Any, str]:
        return (rec.id if q.order_by == "id" else rec.indexed[q.order_by], rec.id)

    hits = [r for r in records if all(_matches(r, c) for c in q.where)]
    hits.sort(key=key, reverse=q.descending)
    if checked.cursor is not None:
        pos = checked.cursor
        if q.descending:
            hits = [r for r in hits if key(r) < pos]
        else:
            hits = [r for r in hits if key(r) > pos]
    page = hits[: q.limit]
    more = len(hits) > q.limit
    return Page(tuple(page), checked.next_cursor(page[-1]) if more else None)


def job_from_row(row: Mapping[str, Any]) -> Job:
    """Build a `Job` from a mapping of its stored columns."""
    return Job(
        id=row["id"],
        queue=row["queue"],
        payload=load_document(row["payload"], "job", row["id"]),
        due_at=cast(datetime, decode_value("datetime", row["due_at"])),
        state=row["state"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        idempotency_key=row["idempotency_key"],
        lease_owner=row["lease_owner"],
        lease_expires_at=cast(datetime | None, decode_value("datetime", row["lease_expires_at"])),
        last_error=row["last_error"],
        group=row.get("job_group"),
        fence=row.get("fence") or 0,
    )
