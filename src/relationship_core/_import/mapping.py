"""Column mappings: which CSV column feeds which field, the vendor presets, mapping files.

A mapping names, for each field of the kind imported, the header (or the
headers, first present wins) of the column holding it. Headers match
ignoring case, surrounding spaces and ``_`` versus space. Columns nobody
maps are ignored: exports carry many.

The presets use the column headers the vendors' exports carry: HubSpot's
exports head each column with the property's label (``Record ID``,
``First Name``, ``Email``, ``Company name``, ``Company Domain Name`` ...);
a ClickUp list export heads its columns ``Task ID``, ``Task Name``,
``Tags`` ... and each custom field by its name. The tests keep one small
export per preset under ``tests/data/import/``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from relationship_core._domain.custom_fields import CustomFieldDefinition, CustomFieldSchema
from relationship_core.exceptions import ValidationError

__all__ = ["FIELDS", "KINDS", "PRESETS", "ImportMapping", "load_mapping"]

#: What can be imported.
KINDS = ("parties", "contacts", "orders", "interactions")

#: The fields of each kind a column can feed.
FIELDS: dict[str, tuple[str, ...]] = {
    "parties": (
        "source_id", "name", "first_name", "last_name", "party_kind", "email", "phone",
        "tags", "time_zone", "locale", "domain",
    ),
    "contacts": (
        "source_id", "name", "first_name", "last_name", "email", "phone", "tags",
        "time_zone", "locale", "title", "organisation", "decision_maker",
    ),
    "orders": (
        "source_id", "party_email", "party_id", "placed_at", "description", "quantity",
        "unit_price", "currency", "tax_rate",
    ),
    "interactions": (
        "source_id", "party_email", "party_id", "occurred_at", "channel", "summary",
        "direction", "by",
    ),
}  # fmt: skip


#: Other headers a field is looked for under when the mapping does not name its column.
ALIASES: dict[str, tuple[str, ...]] = {
    "party_email": ("email", "e-mail", "email address"),
    "email": ("e-mail", "email address", "emails"),
    "party_id": ("party",),
    "placed_at": ("date", "order date"),
    "occurred_at": ("date", "when"),
    "unit_price": ("price", "amount"),
    "source_id": ("id",),
    "organisation": ("organization", "company"),
    "party_kind": ("type",),
}


def header_key(text: str) -> str:
    """A header as matching compares it: case-folded, ``_`` as space, spaces collapsed."""
    return " ".join(text.replace("_", " ").casefold().split())


def _columns(value: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ValidationError("columns", value, "a table of field = column header(s)")
    out: dict[str, tuple[str, ...]] = {}
    for field, headers in value.items():
        given = (headers,) if isinstance(headers, str) else headers
        if (
            not isinstance(given, list | tuple)
            or not given
            or not all(isinstance(h, str) and h.strip() for h in given)
        ):
            raise ValidationError(f"columns.{field}", headers, "a header or a list of headers")
        out[str(field)] = tuple(given)
    return out


def _text(name: str, optional: bool = False) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise ValidationError(name, value, "a single line of text")

    return check


def _custom_fields(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError("custom_fields", value, "a table of column header = field key")
    return dict(value)


def _definitions(value: object) -> CustomFieldSchema:
    if not isinstance(value, CustomFieldSchema):
        raise ValidationError("definitions", value, "a CustomFieldSchema")
    return value


@attrs.frozen(kw_only=True)
class ImportMapping:
    """How the columns of one kind of export map to the fields of an import.

    Attributes:
        kind: ``parties``, ``contacts``, ``orders`` or ``interactions``.
        source: The source system's name (``"hubspot-contact"``): with the
            source id it makes the record's id, so a re-import updates.
        columns: Field -> the header(s) of its column, first present wins;
            a field not named here is looked for under its own name.
        custom_fields: Column header -> the key of the custom field it fills.
        definitions: The business's custom field definitions the values are
            typed and checked by.
        party_kind: For ``parties`` without a ``party_kind`` column:
            ``"person"`` or ``"organisation"``.
        time_zone: The zone of naive dates and times, and of new parties.
        currency: The currency of amounts when no column gives one.
        date_format: A ``strptime`` format tried before ISO 8601.
        decimal_mark: ``"."`` or ``","``.
        channel: For ``interactions`` without a channel column.
    """

    kind: str = attrs.field()
    source: str = attrs.field(default="csv", validator=_text("source"))
    columns: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_columns)
    custom_fields: Mapping[str, str] = attrs.field(factory=dict, converter=_custom_fields)
    definitions: CustomFieldSchema = attrs.field(factory=CustomFieldSchema, converter=_definitions)
    party_kind: str = attrs.field(default="person")
    time_zone: str = attrs.field(default="UTC", validator=_text("time_zone"))
    currency: str | None = attrs.field(default=None, validator=_text("currency", optional=True))
    date_format: str | None = attrs.field(
        default=None, validator=_text("date_format", optional=True)
    )
    decimal_mark: str = attrs.field(default=".")
    channel: str = attrs.field(default="email", validator=_text("channel"))

    @kind.validator
    def _check_kind(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or value not in KINDS:
            raise ValidationError("kind", value, f"one of {', '.join(KINDS)}")

    @columns.validator
    def _check_columns(self, attribute: Any, value: Mapping[str, tuple[str, ...]]) -> None:
        known = FIELDS.get(self.kind, ())
        for field in value:
            if field not in known:
                raise ValidationError(
                    f"columns.{field}",
                    field,
                    f"not a field of {self.kind}; fields: {', '.join(known)}",
                )

    @party_kind.validator
    def _check_party_kind(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or value not in ("person", "organisation"):
            raise ValidationError("party_kind", value, "person or organisation")

    @decimal_mark.validator
    def _check_mark(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or value not in (".", ","):
            raise ValidationError("decimal_mark", value, "'.' or ','")

    def locate(self, header: tuple[str, ...]) -> dict[str, int]:
        """Field -> the index of its column in *header* (fields without one are absent)."""
        index = {header_key(h): i for i, h in enumerate(header) if h}
        found: dict[str, int] = {}
        for field in FIELDS[self.kind]:
            given = self.columns.get(field)
            for candidate in given if given else (field, *ALIASES.get(field, ())):
                at = index.get(header_key(candidate))
                if at is not None:
                    found[field] = at
                    break
        return found

    def with_kind(self, kind: str) -> ImportMapping:
        """The same settings for another kind (the preset's kind must match the import's)."""
        return attrs.evolve(self, kind=kind)


def load_mapping(
    source: str | Path | Mapping[str, Any], *, kind: str | None = None
) -> ImportMapping:
    """An `ImportMapping` from a TOML file (a path) or a dict of the same shape.

    The shape (every key but ``kind`` optional; *kind* given here fills it)::

        kind = "parties"
        source = "legacy-crm"
        party_kind = "organisation"
        time_zone = "Europe/Berlin"
        currency = "EUR"
        date_format = "%d.%m.%Y"
        decimal_mark = ","
        [columns]
        source_id = "Kundennr"
        name = "Firma"
        email = ["E-Mail", "Mail"]
        [custom_fields]
        "Branche" = "industry"
        [[definitions]]
        key = "industry"
        type = "text"
    """
    if isinstance(source, Mapping):
        data: dict[str, Any] = dict(source)
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as error:
            raise ValidationError("mapping", str(path), f"cannot be read: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise ValidationError("mapping", str(path), f"is not valid TOML: {error}") from None
    if kind is not None:
        data.setdefault("kind", kind)
        if data["kind"] != kind:
            raise ValidationError(
                "kind", data["kind"], f"the mapping is for {data['kind']}, not {kind}"
            )
    known = {a.name for a in attrs.fields(ImportMapping)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(
            "mapping", unknown[0], f"unknown key; keys: {', '.join(sorted(known))}"
        )
    if "definitions" in data:
        given = data["definitions"]
        if not isinstance(given, list):
            raise ValidationError("definitions", given, "a list of custom field definitions")
        try:
            data["definitions"] = CustomFieldSchema([CustomFieldDefinition(**d) for d in given])
        except TypeError as error:
            raise ValidationError("definitions", given, str(error)) from None
    custom = data.get("custom_fields", {})
    if not isinstance(custom, Mapping) or not all(isinstance(v, str) for v in custom.values()):
        raise ValidationError("custom_fields", custom, "a table of column header = field key")
    return ImportMapping(**data)


PRESETS: dict[str, ImportMapping] = {
    "hubspot-contacts": ImportMapping(
        kind="contacts",
        source="hubspot-contact",
        columns={
            "source_id": ("Record ID", "Contact ID"),
            "first_name": ("First Name",),
            "last_name": ("Last Name",),
            "email": ("Email",),
            "phone": ("Phone Number", "Mobile Phone Number"),
            "title": ("Job Title",),
            "organisation": ("Company Name", "Associated Company"),
        },
    ),
    "hubspot-companies": ImportMapping(
        kind="parties",
        source="hubspot-company",
        party_kind="organisation",
        columns={
            "source_id": ("Record ID", "Company ID"),
            "name": ("Company name",),
            "domain": ("Company Domain Name", "Website URL"),
        },
    ),
    "clickup-list": ImportMapping(
        kind="parties",
        source="clickup",
        party_kind="organisation",
        columns={
            "source_id": ("Task ID",),
            "name": ("Task Name",),
            "tags": ("Tags",),
            "email": ("Email",),
        },
        date_format=None,
    ),
}
