"""Phone numbers as searches compare them: E.164 where a number allows it.

A stored number is parsed with the region of the party's locale (``de-CH``
-> ``CH``) by Google's libphonenumber metadata (the ``phonenumberslite``
package, a core dependency: what the index holds must not depend on whether
an optional package happens to be installed). A number that parses as a
valid number becomes its E.164 form (``079 123 45 67`` in CH ->
``+41791234567``); one that does not keeps its digits (with a leading ``+``
when it had one), so it is still found by those digits.

A search text is usually the start of a number. `phone_search_key` turns it
into the start of the E.164 form where it can: a leading ``+`` or the
region's international prefix (``00``) starts the country code; a national
number in a known region loses its trunk prefix (``0``) and gains the
country code (``079 12`` in CH -> ``+417912``). That is what libphonenumber
does to a whole valid number, so the start of a stored number's national
form always finds it (a property test checks it for several regions).
"""

from __future__ import annotations

import re

from relationship_core._domain.validators import check_text
from relationship_core.exceptions import ValidationError

__all__ = ["phone_key", "phone_search_key", "region_of"]

_REGION = re.compile(r"^[A-Z]{2}$")


def region_of(locale: str | None) -> str | None:
    """The region (ISO 3166 alpha-2) of a BCP 47 tag, or ``None``.

    Examples:
        >>> region_of("de-CH"), region_of("zh-Hant-TW"), region_of("en")
        ('CH', 'TW', None)
    """
    if locale is None:
        return None
    for part in locale.replace("_", "-").split("-")[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper()
    return None


def _region(region: str | None) -> str | None:
    if region is None:
        return None
    if not isinstance(region, str) or not _REGION.match(region.upper()):
        raise ValidationError("region", region, "expected a two-letter region such as 'CH'")
    return region.upper()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() and ch.isascii())


def phone_key(text: str, region: str | None = None) -> str | None:
    """*text* as the phone index stores it: E.164, else its digits; ``None`` without digits.

    Examples:
        >>> phone_key("079 123 45 67", "CH")
        '+41791234567'
        >>> phone_key("+1 (212) 555-0123")
        '+12125550123'
        >>> phone_key("ext. 42")
        '42'
    """
    import phonenumbers

    check_text("phone", text)
    region = _region(region)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    digits = _digits(text)
    if not digits:
        return None
    return ("+" if text.strip().startswith("+") else "") + digits


def phone_search_key(text: str, region: str | None = None) -> str:
    """The start of the stored key that numbers starting with *text* have.

    Examples:
        >>> phone_search_key("079 12", "CH")
        '+417912'
        >>> phone_search_key("0041 79")
        '+4179'
        >>> phone_search_key("+1 212")
        '+1212'
    """
    import phonenumbers

    check_text("text", text)
    region = _region(region)
    digits = _digits(text)
    if not digits:
        raise ValidationError("text", text, "give at least one digit to search for")
    if text.strip().startswith("+"):
        return "+" + digits
    if region is None:
        if digits.startswith("00"):
            return "+" + digits[2:] if len(digits) > 2 else "+"
        return digits
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    code = phonenumbers.country_code_for_region(region)
    if meta is None or not code:
        return digits
    intl = meta.preferred_international_prefix or meta.international_prefix or ""
    if intl.isdigit() and digits.startswith(intl):
        return "+" + digits[len(intl) :]
    national = meta.national_prefix or ""
    if national and digits.startswith(national):
        digits = digits[len(national) :]
    return f"+{code}{digits}"
