"""From a party's language tag to the locale Babel formats with, along a fallback chain."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError

from relationship_core._domain.locale import locale_chain
from relationship_core._notify.message import Recipient
from relationship_core.exceptions import ValidationError

__all__ = ["babel_locale", "recipient_of"]


@cache
def _known(tag: str) -> bool:
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def babel_locale(tag: str | None, default: str = "en") -> str:
    """The first locale of ``locale_chain(tag, default, "en")`` Babel knows, as ``de_CH``.

    ``babel_locale("de-CH")`` is ``"de_CH"``; ``babel_locale("xx-YY", "fr")`` is
    ``"fr"``; ``babel_locale(None)`` is ``"en"``.
    """
    for candidate in locale_chain(tag, default, "en"):
        if _known(candidate):
            return candidate.replace("-", "_")
    return "en"  # pragma: no cover - "en" is always known


def recipient_of(
    party: Any, *, default_locale: str = "en", address: str | None = None
) -> Recipient:
    """The `Recipient` for a stored party: its primary e-mail, name, zone and locale.

    The party's ``locale`` (or *default_locale* when it has none, or Babel does
    not know it) decides how dates and money are formatted; *address*
    overrides the e-mail (``""`` for channels that address no one).
    """
    for attribute in ("name", "time_zone", "emails", "locale"):
        if not hasattr(party, attribute):
            raise ValidationError("party", party, "expected a Person or Organisation")
    email = party.emails[0].value if party.emails else ""
    return Recipient(
        address=email if address is None else address,
        name=party.name,
        locale=babel_locale(party.locale, default_locale),
        time_zone=party.time_zone,
    )
