"""Requirement documents per engagement, every revision kept, and discovery-meeting notes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import aware, non_empty_text
from relationship_core._work.events import RequirementRevised
from relationship_core.exceptions import ValidationError

__all__ = ["STANDARD_SECTIONS", "DiscoveryNote", "RequirementDocument", "Revision"]

#: The sections every document offers, in this order; free sections follow.
STANDARD_SECTIONS = ("scope", "business_drivers", "financial_details", "schedule", "deadlines")


def _sections(value: Mapping[str, str]) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError("sections", value, "expected a mapping of section name -> text")
    ordered: dict[str, str] = {}
    for name in (*STANDARD_SECTIONS, *sorted(k for k in value if k not in STANDARD_SECTIONS)):
        if name not in value:
            continue
        text = value[name]
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("sections", name, "a section name is non-empty text")
        if not isinstance(text, str) or "\x00" in text:
            raise ValidationError(f"sections.{name}", text, "a section is text (without NUL)")
        ordered[name] = text
    return MappingProxyType(ordered)


@attrs.frozen(kw_only=True)
class Revision:
    """One version of a document, whole (not a delta).

    Attributes:
        number: 1 for the first, then 2, 3, ...
        sections: Section name -> text; standard sections first, free ones by name.
        by: The actor's id.
        at: When it was written.
        note: Why it changed, in words.
    """

    number: int
    sections: Mapping[str, str] = attrs.field(converter=_sections)
    by: str = attrs.field(validator=non_empty_text)
    at: datetime = attrs.field(validator=aware)
    note: str = ""


@attrs.define(kw_only=True)
class RequirementDocument(EventRecorder):
    """What an engagement asks for: scope, drivers, money, schedule, deadlines, more.

    Examples:
        >>> from datetime import UTC, datetime
        >>> doc = RequirementDocument.create("eng-1", {"scope": "A shop"}, by="ana",
        ...     at=datetime(2026, 3, 1, tzinfo=UTC))
        >>> _ = doc.revise({"scope": "A shop and a blog"}, by="ben", at=datetime(2026, 3, 2, tzinfo=UTC))
        >>> print(doc.diff(1, 2)["scope"])
        - A shop
        + A shop and a blog

    Attributes:
        id: The document's id.
        engagement_id: The engagement it belongs to.
        revisions: Every revision, oldest first; never rewritten.
    """

    id: str
    engagement_id: str = attrs.field(validator=non_empty_text)
    revisions: list[Revision] = attrs.field(factory=list)
    _events: list[DomainEvent] = events_field()

    @classmethod
    def create(
        cls,
        engagement_id: str,
        sections: Mapping[str, str],
        *,
        by: str,
        at: datetime,
        id: str | None = None,
        note: str = "",
    ) -> RequirementDocument:
        """A document with its first revision."""
        doc = cls(id=new_id() if id is None else id, engagement_id=engagement_id)
        doc._append(sections, by, at, note)
        return doc

    @property
    def current(self) -> Revision:
        """The latest revision."""
        return self.revisions[-1]

    def revision(self, number: int) -> Revision:
        """Revision *number* (1-based)."""
        if (
            isinstance(number, bool)
            or not isinstance(number, int)
            or not 1 <= number <= len(self.revisions)
        ):
            raise ValidationError("revision", number, f"give 1 to {len(self.revisions)}")
        return self.revisions[number - 1]

    def revise(
        self, sections: Mapping[str, str | None], *, by: str, at: datetime, note: str = ""
    ) -> Revision:
        """A new revision: *sections* replace those of the same name; ``None`` text removes one."""
        merged = {k: v for k, v in {**self.current.sections, **sections}.items() if v is not None}
        return self._append(merged, by, at, note)

    def _append(self, sections: Mapping[str, str], by: str, at: datetime, note: str) -> Revision:
        require_aware("at", at)
        if self.revisions and at < self.current.at:
            raise ValidationError("at", at, f"before the last revision at {self.current.at}")
        revision = Revision(
            number=len(self.revisions) + 1, sections=sections, by=by, at=at, note=note
        )
        if self.revisions and revision.sections == self.current.sections:
            raise ValidationError("sections", dict(sections), "nothing changed; no revision made")
        self.revisions.append(revision)
        changed = tuple(
            name
            for name in {
                **revision.sections,
                **(self.revisions[-2].sections if len(self.revisions) > 1 else {}),
            }
            if len(self.revisions) == 1
            or revision.sections.get(name) != self.revisions[-2].sections.get(name)
        )
        self._record(
            RequirementRevised(
                aggregate_id=self.id,
                occurred_at=at,
                engagement_id=self.engagement_id,
                revision=revision.number,
                by=by,
                sections=changed,
            )
        )
        return revision

    def diff(self, old: int, new: int) -> dict[str, str]:
        """Per changed section, the lines removed (``- ``) and added (``+ ``) from *old* to *new*."""
        a, b = self.revision(old).sections, self.revision(new).sections
        result: dict[str, str] = {}
        for name in dict.fromkeys([*a, *b]):
            before, after = a.get(name, "").splitlines(), b.get(name, "").splitlines()
            if before == after and (name in a) == (name in b):
                continue
            lines = [line for line in difflib.ndiff(before, after) if line.startswith(("- ", "+ "))]
            result[name] = "\n".join(lines)
        return result


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    ids = tuple(value)
    for item in ids:
        if not isinstance(item, str) or not item:
            raise ValidationError("interaction_ids", item, "give interaction ids")
    return ids


@attrs.frozen(kw_only=True)
class DiscoveryNote:
    """Notes from a discovery meeting, linked to the interactions it came from.

    Attributes:
        engagement_id: The engagement discussed.
        interaction_ids: The logged interactions (meetings, calls) it records.
        text: The notes.
        by: The author's id.
        at: When written.
        id: The note's id.
    """

    engagement_id: str = attrs.field(validator=non_empty_text)
    interaction_ids: tuple[str, ...] = attrs.field(converter=_ids)
    text: str = attrs.field(validator=non_empty_text)
    by: str = attrs.field(validator=non_empty_text)
    at: datetime = attrs.field(validator=aware)
    id: str = attrs.field(factory=new_id)
