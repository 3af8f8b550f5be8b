"""What identifies a party (its *needles*) and how a JSON document is scrubbed of them.

Redaction, not crypto-shredding: a value that mentions the party (its name,
an e-mail address, a phone number, case and punctuation aside) is replaced
whole, so the stored bytes no longer hold it; nothing depends on a key kept
somewhere else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import attrs

__all__ = ["ERASED", "Subject", "blank", "scrub"]

#: What replaces an erased text value.
ERASED = "[erased]"

_DIGITS = re.compile(r"\D+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: A run of text that may be a phone number: digits with spaces, dots, dashes, brackets.
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
#: Phone numbers shorter than this (in digits) are not searched for: too many false hits.
_MIN_PHONE_DIGITS = 7
#: A phone number is matched by its last digits, so "+44 20 7946 0958" finds "020 7946 0958".
_PHONE_TAIL = 9


def _digits(text: str) -> str:
    return _DIGITS.sub("", text)


@attrs.frozen
class Subject:
    """The party being erased or exported, and the values that identify it.

    Attributes:
        party_id: The party's id (kept: it is an opaque pseudonym).
        texts: Names and e-mail addresses, lower-cased; matched as whole words,
            case aside.
        phones: The last nine digits of each phone number; matched in any
            run of digits, spaces and punctuation, so national and international
            forms of one number both match.
    """

    party_id: str
    texts: tuple[str, ...]
    phones: tuple[str, ...]

    @classmethod
    def of(cls, party_id: str, texts: Iterable[str], phones: Iterable[str]) -> Subject:
        """A subject from raw names, addresses and phone numbers (empty ones left out)."""
        clean = sorted({t.strip().lower() for t in texts if t and t.strip()}, key=len)
        digits = sorted(
            {
                _digits(p)[-_PHONE_TAIL:]
                for p in phones
                if p and len(_digits(p)) >= _MIN_PHONE_DIGITS
            }
        )
        return cls(party_id, tuple(reversed(clean)), tuple(digits))

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.texts:
            return None
        # Whole words only: erasing "Ann" must not touch "annual" or "channel".
        words = "|".join(re.escape(t) for t in self.texts)
        return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)

    @property
    def pseudonym(self) -> str:
        """A stable, non-reversible stand-in: ``erased-<8 hex>`` of the party id."""
        return "erased-" + hashlib.sha256(self.party_id.encode()).hexdigest()[:8]

    def mentioned_in(self, text: str) -> bool:
        """Whether *text* holds the party's name, an address or a phone number."""
        pattern = self._pattern
        if pattern is not None and pattern.search(text):
            return True
        if self.phones:
            for run in _PHONE_RUN.findall(text):
                digits = _digits(run)
                if any(p in digits for p in self.phones):
                    return True
        return False

    def stand_in(self, text: str) -> str:
        """What replaces *text*: a reserved address for an e-mail, else `ERASED`."""
        if _EMAIL.match(text.strip()):
            return f"{self.pseudonym}@erased.invalid"
        return ERASED


def scrub(value: Any, subject: Subject) -> tuple[Any, bool]:
    """*value* with every string mentioning *subject* replaced whole; and whether any was."""
    if isinstance(value, str):
        if subject.mentioned_in(value):
            return subject.stand_in(value), True
        return value, False
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            new, hit = scrub(item, subject)
            out[key] = new
            changed = changed or hit
        return out, changed
    if isinstance(value, list):
        pairs = [scrub(item, subject) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def blank(document: dict[str, Any], fields: Iterable[str], subject: Subject) -> dict[str, Any]:
    """*document* with the top-level *fields* emptied (text replaced, lists and maps cleared)."""
    out = dict(document)
    for name in fields:
        if name not in out:
            continue
        value = out[name]
        if isinstance(value, str):
            out[name] = subject.stand_in(value)
        elif isinstance(value, list):
            out[name] = []
        elif isinstance(value, dict):
            out[name] = {}
    return out
