"""Case-insensitive prefix search on party names, e-mails and phones (``crm.parties``).

The party kind indexes ``name_key``: the name normalised by `search_key`
(NFC, trimmed, inner whitespace collapsed, case-folded). A search for a
prefix is one range condition on that field, ``key <= name_key < next(key)``,
ordered by it: on SQLite and PostgreSQL it reads the ``(name_key, id)``
index, never the whole table, and pages with the usual cursor. Every backend
answers it with plain queries, so no capability is needed.

E-mails and phones are ``str[]`` fields (``emails``: every address,
case-folded; ``phones``: E.164 where the number allows it, see
`relationship_core._domain.phones`), searched with the ``prefix`` condition:
on SQL one range of the ``rc_multi`` index ``(kind, field, value, ...)``,
then one primary-key lookup per matching party, sorted by name. The cost
grows with the number of parties that match, not with the number stored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from relationship_core._app.repository import Repository, Results
from relationship_core._domain.parties import Party
from relationship_core._domain.phones import phone_search_key
from relationship_core._domain.validators import check_text
from relationship_core._storage.schema import prefix_end
from relationship_core.exceptions import ValidationError

__all__ = ["PartyRepository", "parties_by_email", "search_key"]


def search_key(text: object, field: str = "text") -> str:
    """*text* as searches compare it: NFC, trimmed, whitespace collapsed, case-folded.

    Examples:
        >>> search_key("  Ada   LOVELACE ")
        'ada lovelace'
    """
    if not isinstance(text, str):
        raise ValidationError(field, text, "expected a str")
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class PartyRepository(Repository[Party]):
    """People and organisations, with case-insensitive prefix search on names, e-mails, phones."""

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
        upper = prefix_end(key)
        conditions: list[tuple[str, str, object]] = [("name_key", "ge", key)]
        if upper:
            conditions.append(("name_key", "lt", upper))
        return self.query(*conditions, order_by="name_key", limit=limit, after=after)

    def search_email(
        self, text: str, *, limit: int = 20, after: str | None = None
    ) -> Results[Party]:
        """Parties holding an e-mail address that starts with *text*, ignoring case.

        ``"ada@"`` finds ``Ada@Example.com`` and ``ada@lovelace.org``; the
        parties come in name order. Cost: one range read of the ``rc_multi``
        index over the matching addresses, then one lookup per party found
        (not a scan of the parties); pass ``after=results.next_cursor`` for
        the next page.
        """
        check_text("text", text)
        if not text.strip():
            raise ValidationError("text", text, "give the start of an address to search for")
        return self.query(("emails", "prefix", text), order_by="name_key", limit=limit, after=after)

    def search_phone(
        self, text: str, *, region: str | None = None, limit: int = 20, after: str | None = None
    ) -> Results[Party]:
        """Parties with a phone number that starts with *text* (compared in E.164).

        Stored numbers are E.164 where they parse (in the region of the
        party's locale); *text* is turned into the start of an E.164 number
        the same way, with *region* (``"CH"``; pass the business's own) for
        a national number: ``search_phone("079 12", region="CH")`` looks for
        ``+417912...``. The cost is that of `search_email`.
        """
        key = phone_search_key(text, region)
        return self.query(("phones", "prefix", key), order_by="name_key", limit=limit, after=after)


def parties_by_email(parties: Repository[Party], emails: Iterable[str]) -> dict[str, Party]:
    """The stored parties holding any of *emails*, by the address case-folded.

    The one e-mail lookup (the import's batches, support's submissions): a
    condition ``emails in [...]`` on the multi-valued index, which holds every
    address of a party trimmed and case-folded, one query per 500 addresses.
    With several parties on one address (possible without the unique e-mail
    key) the one with the smallest id wins.
    """
    wanted = sorted({e.casefold() for e in emails})
    found: dict[str, Party] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for party in parties.iterate(("emails", "in", chunk), batch=500):
            for address in party.emails:
                found.setdefault(address.value.casefold(), party)
    return found
