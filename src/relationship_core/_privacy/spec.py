"""How a kind takes part in an erasure: the `RedactorSpec` a plugin contributes.

Every record that refers to the erased party (through the mappings' declared
references, followed transitively: a party's engagements, their
interactions...) and every record anywhere whose text mentions the party is
scrubbed: each string holding the party's name, an e-mail address or a phone
number is replaced whole. A kind contributes a `RedactorSpec`
(``relationship_core_redactors`` hook) when that is not enough: free-text
``fields`` to empty in its records about the party and in their events
(meeting notes, complaint text), a ``redact`` function for anything else,
or ``delete=True`` to remove such records outright.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from relationship_core._domain.validators import MAX_ID_LENGTH, check_text
from relationship_core._privacy.scrub import Subject, blank
from relationship_core.exceptions import ValidationError

__all__ = ["Redact", "RedactorSpec"]


class Redact(Protocol):
    """A kind's own redaction: the scrubbed document in, the one to store out (``None``: delete)."""

    def __call__(self, document: dict[str, Any], subject: Subject, /) -> dict[str, Any] | None:
        """The document to store for *subject*, or ``None`` to delete the record."""
        ...


def _fields(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise ValidationError("fields", value, "expected a tuple of field names")
    return tuple(check_text(f"fields[{n}]", f) for n, f in enumerate(value))


def _redact(value: object) -> Redact | None:
    if value is not None and not callable(value):
        raise ValidationError(
            "redact", value, "expected a function (document, subject) -> document"
        )
    return value


@attrs.frozen
class RedactorSpec:
    """How records of one kind about an erased party are redacted.

    Examples:
        >>> RedactorSpec("note", fields=("text",)).apply({"id": "n1", "text": "hi"}, None)
        {'id': 'n1', 'text': '[erased]'}

    Attributes:
        kind: The record kind.
        fields: Top-level fields emptied in its records about the party, and
            in the payloads of those records' events: text becomes
            ``"[erased]"``, lists and maps become empty.
        redact: Called after ``fields``; returns the document to store, or
            ``None`` to delete the record.
        delete: Delete the kind's records about the party instead.
        accounting: Records the law requires keeping (invoices): only their
            personal text is scrubbed; ``delete`` and ``fields`` are refused.
        mentions: Apply ``fields``/``redact``/``delete`` also to the kind's
            records that do not refer to the party but mention it (its name,
            an address, a phone number): an outbox message addressed to the
            party is about it even though it holds no party id.
    """

    kind: str = attrs.field(
        validator=lambda _i, a, v: check_text(a.name, v, max_length=MAX_ID_LENGTH)
    )
    fields: tuple[str, ...] = attrs.field(default=(), converter=_fields)
    redact: Redact | None = attrs.field(default=None, converter=_redact)
    delete: bool = False
    accounting: bool = False
    mentions: bool = False

    def __attrs_post_init__(self) -> None:
        if self.accounting and (self.delete or self.fields):
            raise ValidationError(
                "accounting", self.kind, "accounting records are kept: no delete, no fields"
            )

    def apply(self, document: dict[str, Any], subject: Subject | None) -> dict[str, Any] | None:
        """The document to store for *subject* (``None``: delete the record)."""
        if self.delete:
            return None
        who = subject or Subject.of("", (), ())
        out = blank(document, self.fields, who)
        return self.redact(out, who) if self.redact is not None else out
