"""Unique keys: normalised values a kind declares no two records may share.

A kind declares key names (``KindSpec("party", ..., unique=("email",))``); a
`Write` names the values each key claims for its record
(``keys={"email": ["Ann@Example.com"]}``). Values are normalised the same way
on every backend (`normalise_key`: Unicode NFC, trimmed, case-folded) before
they are compared, so the check cannot drift between backends.

Backends keep one side table ``(kind, key, value, record id)`` whose primary
key is ``(kind, key, value)``, written in the same transaction as the record:
the database itself refuses the second claim, also when two processes insert
at the same moment. Rewriting a record releases the values it no longer
claims; deleting it releases all of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence

from relationship_core.exceptions import UniqueKeyConflictError, ValidationError

__all__ = ["KeyClaims", "MemoryKeys", "check_keys", "normalise_key"]

#: ``((key, normalised value), ...)``, sorted, without duplicates.
KeyClaims = tuple[tuple[str, str], ...]

_MAX_VALUE = 320  # the longest e-mail address RFC 5321 allows, and then some


def normalise_key(value: object, field: str = "keys") -> str:
    """Return *value* as a unique key compares it: NFC, trimmed, case-folded.

    Examples:
        >>> normalise_key("  Ann@Example.COM ")
        'ann@example.com'
    """
    if not isinstance(value, str):
        raise ValidationError(field, value, "expected a str")
    out = unicodedata.normalize("NFC", value).strip().casefold()
    if not out:
        raise ValidationError(field, value, "a unique key value cannot be empty")
    if len(out) > _MAX_VALUE or not out.isprintable():
        raise ValidationError(field, value, f"printable text of at most {_MAX_VALUE} characters")
    return out


def check_keys(kind: str, declared: Sequence[str], keys: object) -> KeyClaims:
    """Return the claims of a write's ``keys`` mapping, checked and normalised."""
    if not isinstance(keys, Mapping):
        raise ValidationError("keys", keys, "expected {key: [values]}")
    claims: set[tuple[str, str]] = set()
    for key, values in keys.items():
        if key not in declared:
            raise ValidationError(
                "keys",
                key,
                f"kind {kind!r} declares no unique key of that name; "
                f"declared: {', '.join(declared) or 'none'}",
            )
        if isinstance(values, str) or not isinstance(values, Sequence | frozenset | set):
            raise ValidationError(f"keys.{key}", values, "expected a list of str values")
        for n, value in enumerate(values):
            claims.add((key, normalise_key(value, f"keys.{key}[{n}]")))
    return tuple(sorted(claims))


class MemoryKeys:
    """The memory backend's side table: claimed values and who holds them.

    Not locked itself: the backend calls it under its own lock. Each change
    returns the function that undoes it, for the transaction's rollback.
    """

    def __init__(self) -> None:
        self._holder: dict[tuple[str, str, str], str] = {}
        self._held: dict[tuple[str, str], KeyClaims] = {}

    def claim(self, kind: str, rid: str, claims: KeyClaims) -> Callable[[], None]:
        """Make *claims* the record's claims, or raise `UniqueKeyConflictError`."""
        for key, value in claims:
            holder = self._holder.get((kind, key, value))
            if holder is not None and holder != rid:
                raise UniqueKeyConflictError(kind, rid, key, value, holder)
        undo = self.release(kind, rid)
        for key, value in claims:
            self._holder[(kind, key, value)] = rid
        if claims:
            self._held[(kind, rid)] = claims

        def restore() -> None:
            self.release(kind, rid)
            undo()

        return restore

    def release(self, kind: str, rid: str) -> Callable[[], None]:
        """Drop every claim of the record."""
        old = self._held.pop((kind, rid), ())
        for key, value in old:
            self._holder.pop((kind, key, value), None)

        def undo() -> None:
            for key, value in old:
                self._holder[(kind, key, value)] = rid
            if old:
                self._held[(kind, rid)] = old

        return undo
