"""The first pass: each row parsed and checked into a draft, bad cells named by column.

A draft is what a row will write: the party, order or interaction it
describes, under the id its source system and source id give it
(``"<source>:<source id>"``; without a source id column ``"<source>:<file
hash>:<line>"``). Building the domain object here runs every check the
domain makes, so the second pass meets no invalid value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from relationship_core._billing.lines import LineItem
from relationship_core._domain.custom_fields import CustomValue, FieldType
from relationship_core._domain.engagements import Channel, Direction
from relationship_core._domain.money import Money
from relationship_core._domain.parties import EmailAddress, Organisation, Party, Person
from relationship_core._domain.timeutil import to_zone
from relationship_core._domain.validators import MAX_ID_LENGTH, to_enum
from relationship_core._import.errors import RowProblem
from relationship_core._import.mapping import ImportMapping
from relationship_core._import.values import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    split_list,
)
from relationship_core.exceptions import ValidationError

__all__ = ["Draft", "InteractionDraft", "OrderDraft", "PartyDraft", "RowParser"]


@attrs.frozen
class PartyDraft:
    """A party row (``parties`` and ``contacts``): the party, and for contacts its role."""

    line: int
    party: Party
    given: frozenset[str]  # the fields the row gave a value for (empty cells change nothing)
    domain: str | None = None
    title: str | None = None
    organisation: str | None = None
    decision_maker: bool = False


@attrs.frozen
class OrderDraft:
    """An order row: one line item for a party found by id or e-mail."""

    line: int
    id: str
    party_id: str | None
    party_email: str | None
    placed_at: datetime
    item: LineItem


@attrs.frozen
class InteractionDraft:
    """An interaction row, logged on the party's live engagement."""

    line: int
    id: str
    party_id: str | None
    party_email: str | None
    occurred_at: datetime
    channel: Channel
    summary: str
    direction: Direction
    by: str | None


Draft = PartyDraft | OrderDraft | InteractionDraft

# Domain field -> the import field whose column it came from.
_DOMAIN_FIELDS = {"emails": "email", "id": "source_id", "text": "name"}


class RowParser:
    """Parses the rows of one file under one mapping.

    Args:
        mapping: The column mapping.
        header: The file's header.
        digest: The file's hash (for fallback ids).
    """

    def __init__(self, mapping: ImportMapping, header: Sequence[str], digest: str) -> None:
        self.mapping = mapping
        self.header = tuple(header)
        self.digest = digest
        self.at = mapping.locate(self.header)
        self.zone = to_zone("time_zone", mapping.time_zone)
        index = {h.casefold(): i for i, h in enumerate(self.header)}
        self.custom: dict[str, tuple[int, str]] = {}
        for column, key in mapping.custom_fields.items():
            if column.casefold() in index:
                self.custom[key] = (index[column.casefold()], column)
        parsers: dict[str, Callable[[int, list[str]], Draft]] = {
            "parties": self._party,
            "contacts": self._party,
            "orders": self._order,
            "interactions": self._interaction,
        }
        self._parse = parsers[mapping.kind]

    def missing(self) -> list[str]:
        """The required fields no column of the header feeds (a mapping problem)."""
        has = set(self.at)
        need: list[str] = []
        kind = self.mapping.kind
        if kind in ("parties", "contacts"):
            if not has & {"name", "first_name", "last_name"}:
                need.append("name (or first_name / last_name)")
        else:
            if not has & {"party_id", "party_email"}:
                need.append("party_email (or party_id)")
            when = "placed_at" if kind == "orders" else "occurred_at"
            if when not in has:
                need.append(when)
        if kind == "orders":
            need.extend(f for f in ("unit_price",) if f not in has)
            if "currency" not in has and self.mapping.currency is None:
                need.append("currency (a column, or the mapping's currency)")
        return need

    def column(self, field: str) -> str:
        """The header of *field*'s column (the field's name when no column feeds it)."""
        at = self.at.get(field)
        return field if at is None else self.header[at]

    def cell(self, cells: list[str], field: str) -> str:
        """The stripped text of *field*'s cell ("" when absent)."""
        at = self.at.get(field)
        return cells[at].strip() if at is not None and at < len(cells) else ""

    def record_id(self, cells: list[str], line: int) -> str:
        """The id the row is stored under, from its source system and source id."""
        source_id = self.cell(cells, "source_id")
        rid = (
            f"{self.mapping.source}:{source_id}"
            if source_id
            else f"{self.mapping.source}:{self.digest[:16]}:{line}"
        )
        if len(rid) > MAX_ID_LENGTH or "\n" in rid:
            raise ValidationError(self.column("source_id"), source_id, "too long for an id")
        return rid

    def parse(self, line: int, cells: list[str]) -> Draft:
        """The row's draft; a `ValidationError` names the column and the value."""
        try:
            return self._parse(line, cells)
        except ValidationError as error:
            if error.field in self.header or error.field in self.mapping.custom_fields:
                raise
            raise ValidationError(self._column_of(error.field), error.value, error.reason) from None

    def check(self, line: int, cells: list[str]) -> tuple[Draft | None, list[RowProblem]]:
        """The row's draft, or every bad cell of it (not only the first).

        After a cell fails, the row is parsed again with that cell empty (an
        empty required one: a stand-in text), until it parses or a cell already
        changed fails again: each bad cell is reported once, with its own text.
        A required date or price left empty stops the search at that cell.
        """
        try:
            return self.parse(line, cells), []
        except ValidationError as error:
            failed = error
        index: dict[str, int] = {}
        for col, name in enumerate(self.header):
            index.setdefault(name.casefold(), col)
        trial = list(cells)
        emptied: set[int] = set()
        problems: list[RowProblem] = []
        while True:
            at = index.get(failed.field.casefold())
            if at is not None and at in emptied:
                return None, problems  # a required cell, reported already
            problems.append(RowProblem(line, failed.field, failed.value, failed.reason))
            if at is None or at >= len(trial):
                return None, problems
            emptied.add(at)
            # A bad cell is emptied; a required one left empty gets a stand-in name, so
            # the cells after it are checked too (one that is no name fails again: stop).
            trial[at] = "" if trial[at].strip() else "x"
            try:
                self.parse(line, trial)
            except ValidationError as error:
                failed = error
            else:
                return None, problems

    def _column_of(self, field: str) -> str:
        base = field.split("[", 1)[0].split(".", 1)[0]
        if base == "custom_fields":
            key = field.split(".", 1)[-1].split("[", 1)[0]
            return self.custom[key][1] if key in self.custom else field
        return self.column(_DOMAIN_FIELDS.get(base, base))

    # -- kinds ---------------------------------------------------------------------

    def _party(self, line: int, cells: list[str]) -> PartyDraft:
        width = len(cells)
        given_cells = {f: cells[i].strip() for f, i in self.at.items() if i < width}

        def get(field: str) -> str:
            return given_cells.get(field, "")

        mapping = self.mapping
        name = get("name") or " ".join(p for p in (get("first_name"), get("last_name")) if p)
        if not name:
            raise ValidationError(self.column("name" if "name" in self.at else "last_name"),
                                  "", "a party needs a name")  # fmt: skip
        kind = mapping.party_kind if mapping.kind == "parties" else "person"
        if get("party_kind"):
            kind = get("party_kind").casefold()
            kind = {"company": "organisation", "organization": "organisation"}.get(kind, kind)
            if kind not in ("person", "organisation"):
                raise ValidationError(self.column("party_kind"), get("party_kind"),
                                      "person or organisation")  # fmt: skip
        values: dict[str, Any] = {"id": self.record_id(cells, line), "name": name}
        given = {"name"}
        for field, convert in (
            ("email", split_list),
            ("tags", split_list),
            ("time_zone", str),
            ("locale", str),
        ):
            if get(field):
                values["emails" if field == "email" else field] = convert(get(field))
                given.add(field)
        site = get("domain").casefold().removeprefix("https://").removeprefix("http://")
        domain = site.removeprefix("www.").split("/", 1)[0] or None
        if domain is not None:
            values["tags"] = [*values.get("tags", ()), f"domain:{domain}"]
            given.add("tags")
        custom = self._custom(cells)
        if custom:
            values["custom_fields"] = custom
            given.add("custom_fields")
        if kind == "person":
            if get("phone"):
                values["phone"] = get("phone")
                given.add("phone")
            party: Party = Person(**values)
        else:
            party = Organisation(**values)
        return PartyDraft(
            line,
            party,
            frozenset(given),
            domain=domain,
            title=get("title") or None,
            organisation=get("organisation") or None,
            decision_maker=bool(get("decision_maker"))
            and parse_bool(self.column("decision_maker"), get("decision_maker")),
        )

    def _custom(self, cells: list[str]) -> dict[str, CustomValue]:
        values: dict[str, object] = {}
        schema = self.mapping.definitions
        for key, (at, column) in self.custom.items():
            text = cells[at].strip() if at < len(cells) else ""
            if not text:
                continue
            definition = schema.definitions.get(key)
            if definition is None:
                raise ValidationError(column, text, f"no custom field {key!r} is defined")
            typed = self._typed(column, text, definition.type, definition.currency)
            try:
                values[key] = definition.validate(typed)
            except ValidationError as error:
                raise ValidationError(column, text, error.reason) from None
        return values  # type: ignore[return-value]  # each checked by its definition

    def _typed(self, column: str, text: str, ftype: FieldType, currency: str | None) -> object:
        if ftype is FieldType.NUMBER:
            number = parse_decimal(column, text, self.mapping.decimal_mark)
            if number != number.to_integral_value():
                raise ValidationError(column, text, "expected a whole number")
            return int(number)
        if ftype is FieldType.DECIMAL:
            return parse_decimal(column, text, self.mapping.decimal_mark)
        if ftype is FieldType.MONEY:
            code = currency or self.mapping.currency
            if code is None:
                raise ValidationError(column, text, "no currency: set the mapping's currency")
            return Money(parse_decimal(column, text, self.mapping.decimal_mark), code)
        if ftype is FieldType.DATE:
            return parse_date(column, text, self.zone, self.mapping.date_format)
        if ftype is FieldType.BOOLEAN:
            return parse_bool(column, text)
        return text

    def _party_ref(self, cells: list[str]) -> tuple[str | None, str | None]:
        party_id = self.cell(cells, "party_id") or None
        email = self.cell(cells, "party_email") or None
        if email is not None:
            try:
                email = EmailAddress(email).value
            except ValidationError as error:
                raise ValidationError(self.column("party_email"), email, error.reason) from None
        if party_id is None and email is None:
            column = self.column("party_email" if "party_email" in self.at else "party_id")
            raise ValidationError(column, "", "which party? give its e-mail or id")
        return party_id, email

    def _when(self, cells: list[str], field: str) -> datetime:
        text = self.cell(cells, field)
        if not text:
            raise ValidationError(self.column(field), text, "a date (and time) is required")
        return parse_datetime(self.column(field), text, self.zone, self.mapping.date_format)

    def _order(self, line: int, cells: list[str]) -> OrderDraft:
        party_id, email = self._party_ref(cells)
        placed_at = self._when(cells, "placed_at")
        mark = self.mapping.decimal_mark
        price_text = self.cell(cells, "unit_price")
        if not price_text:
            raise ValidationError(self.column("unit_price"), "", "a price is required")
        code = self.cell(cells, "currency") or self.mapping.currency or ""
        try:
            price = Money(parse_decimal(self.column("unit_price"), price_text, mark), code)
        except ValidationError as error:
            if error.field == self.column("unit_price"):
                raise
            raise ValidationError(self.column("currency"), code, error.reason) from None
        quantity = self.cell(cells, "quantity")
        rate = self.cell(cells, "tax_rate")
        item = LineItem(
            self.cell(cells, "description") or "Imported order",
            parse_decimal(self.column("quantity"), quantity, mark) if quantity else Decimal(1),
            price,
            kind="product",
            tax_rate=parse_decimal(self.column("tax_rate"), rate, mark) if rate else Decimal(0),
        )
        return OrderDraft(line, self.record_id(cells, line), party_id, email, placed_at, item)

    def _interaction(self, line: int, cells: list[str]) -> InteractionDraft:
        party_id, email = self._party_ref(cells)
        occurred_at = self._when(cells, "occurred_at")
        channel_text = self.cell(cells, "channel").casefold() or self.mapping.channel
        channel = to_enum(Channel, self.column("channel"), channel_text)
        direction_text = self.cell(cells, "direction").casefold() or "outbound"
        direction = to_enum(Direction, self.column("direction"), direction_text)
        return InteractionDraft(
            line,
            self.record_id(cells, line),
            party_id,
            email,
            occurred_at,
            channel,
            self.cell(cells, "summary"),
            direction,
            self.cell(cells, "by") or None,
        )


def day_in(zone: ZoneInfo, at: datetime) -> date:
    """The local day of *at* in *zone*."""
    return at.astimezone(zone).date()
