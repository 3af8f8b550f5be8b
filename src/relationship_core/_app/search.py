"""Case-insensitive prefix search on party names (``crm.parties.search``).

The party kind indexes ``name_key``: the name normalised by `search_key`
(NFC, trimmed, inner whitespace collapsed, case-folded). A search for a
prefix is one range condition on that field, ``key <= name_key < next(key)``,
ordered by it: on SQLite and PostgreSQL it reads the ``(name_key, id)``
index, never the whole table, and pages with the usual cursor. Every backend
answers it with plain queries, so no capability is needed.
"""

from __future__ import annotations

import unicodedata

from relationship_core._app.repository import Repository, Results
from relationship_core._domain.parties import Party
from relationship_core._domain.validators import check_text
from relationship_core.exceptions import ValidationError

__all__ = ["PartyRepository", "search_key"]


def search_key(text: object, field: str = "text") -> str:
    """*text* as searches compare it: NFC, trimmed, whitespace collapsed, case-folded.

    Examples:
        >>> search_key("  Ada   LOVELACE ")
        'ada lovelace'
    """
    if not isinstance(text, str):
        raise ValidationError(field, text, "expected a str")
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with *prefix*."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not text
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return ""


class PartyRepository(Repository[Party]):
    """People and organisations, with case-insensitive prefix search on names."""

    def search(self, text: str, *, limit: int = 20, after: str | None = None) -> Results[Party]:
        """Parties whose name starts with *text*, ignoring case, in name order.

        ``"ada"`` finds "Ada Lovelace" and "ADA Ltd". Cost: one index range
        read of ``limit`` rows (the ``name_key`` index), whatever the number
        of parties; pass ``after=results.next_cursor`` for the next page.
        """
        check_text("text", text)
        key = search_key(text)
        if not key:
            raise ValidationError("text", text, "give at least one letter to search for")
        upper = _after(key)
        conditions: list[tuple[str, str, object]] = [("name_key", "ge", key)]
        if upper:
            conditions.append(("name_key", "lt", upper))
        return self.query(*conditions, order_by="name_key", limit=limit, after=after)
