"""Language tags (BCP 47, the common subset) for a party's locale.

The domain checks the tag's shape and writes it in its canonical case
(``"de-CH"``, ``"zh-Hant-TW"``); whether a formatter knows the language is the
notification templates' business (they fall back along `locale_chain`).
"""

from __future__ import annotations

import re

from relationship_core.exceptions import ValidationError

__all__ = ["check_locale", "locale_chain"]

# language (2-3 letters, or 4-8 registered), optional script, optional region,
# optional variants; extensions and private use are not needed for templates.
_TAG = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3}|[A-Za-z]{5,8})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)"
)


def check_locale(field: str, value: object) -> str:
    """*value* as a canonical BCP 47 tag (``de_ch`` -> ``de-CH``), or a `ValidationError`."""
    if not isinstance(value, str) or len(value) > 35:
        raise ValidationError(field, value, "expected a language tag like 'en', 'de-CH', 'pt-BR'")
    match = _TAG.fullmatch(value.replace("_", "-"))
    if match is None:
        raise ValidationError(field, value, "expected a language tag like 'en', 'de-CH', 'pt-BR'")
    parts = [match["lang"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts += [v.lower() for v in match["variants"].split("-") if v]
    return "-".join(parts)


def locale_chain(tag: str | None, *defaults: str | None) -> tuple[str, ...]:
    """The tags to try for *tag*, most specific first, then each of *defaults*.

    ``locale_chain("de-Latn-CH", "en")`` is ``("de-Latn-CH", "de-CH", "de-Latn",
    "de", "en")``; unset tags are skipped and none is repeated.
    """
    chain: list[str] = []
    for given in (tag, *defaults):
        if given is None:
            continue
        canonical = check_locale("locale", given)
        match = _TAG.fullmatch(canonical)
        assert match is not None  # noqa: S101 - canonical tags match
        lang, script, region = match["lang"], match["script"], match["region"]
        candidates = [canonical]
        if region and script:
            candidates += [f"{lang}-{region}", f"{lang}-{script}"]
        elif region or script:
            candidates.append(f"{lang}-{region or script}")
        candidates.append(lang)
        for candidate in candidates:
            if candidate not in chain:
                chain.append(candidate)
    return tuple(chain)
