"""Templates from TOML: subject, text and HTML per template and language, checked at load.

One file holds any number of templates::

    default_locale = "en"           # optional; the last resort of every pick

    [templates.invoice-issued]
    event = "invoice.issued"        # optional, default the template's name
    category = "transactional"

    [templates.invoice-issued.en]
    subject = "Invoice {{ invoice.number }}"
    text = "..."
    html = "..."                    # optional

    [templates.invoice-issued.de]
    subject = "Rechnung {{ invoice.number }}"
    text = "..."

A directory is read as every ``*.toml`` file in it, in name order; a template
name given twice is an error naming both files. Every error names the file
and the template (``templates.invoice-issued.de.text``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from relationship_core._domain.locale import check_locale, locale_chain
from relationship_core._notify.locales import babel_locale, recipient_of
from relationship_core._notify.message import Recipient
from relationship_core._notify.sandbox import DEFAULT_LIMITS, RenderLimits
from relationship_core._notify.shapes import EventType
from relationship_core._notify.templates import NotificationTemplate, load_template
from relationship_core.exceptions import NotFoundError, ValidationError

__all__ = ["TemplateSet", "load_templates"]

_PARTS = ("subject", "text", "html")
_SETTINGS = ("event", "category")


@attrs.frozen
class TemplateSet:
    """Loaded templates by name and language; `pick` follows a locale's fallback chain.

    Attributes:
        templates: ``{name: {language tag: template}}``.
        default_locale: Tried after the requested locale's own chain.
    """

    templates: Mapping[str, Mapping[str, NotificationTemplate]]
    default_locale: str = "en"

    def names(self) -> list[str]:
        """The template names, sorted."""
        return sorted(self.templates)

    def pick(self, name: str, locale: str | None = None) -> NotificationTemplate:
        """Template *name* in *locale*, else along ``locale_chain(locale, default_locale)``.

        ``pick("invoice-issued", "de-CH")`` tries ``de-CH``, ``de``, then the
        default locale; if none of those exists, the first language the
        template has (a message in some language beats no message).
        """
        if not isinstance(name, str) or name not in self.templates:
            raise NotFoundError("template", name if isinstance(name, str) else repr(name))
        versions = self.templates[name]
        if locale is not None and not isinstance(locale, str):
            raise ValidationError("locale", locale, "expected a language tag like 'de-CH'")
        for tag in locale_chain(locale, self.default_locale):
            if tag in versions:
                return versions[tag]
        return versions[sorted(versions)[0]]

    def for_party(self, name: str, party: Any) -> tuple[NotificationTemplate, Recipient]:
        """Template *name* in *party*'s language, and the party as a `Recipient`.

        Dates and money are formatted in the party's own locale when it shares
        the template's language (``de-CH`` for a ``de`` template), else in the
        template's: a message reads in one language throughout.
        """
        recipient = recipient_of(party, default_locale=self.default_locale)
        own = party.locale
        template = self.pick(name, own)
        language = (template.locale or self.default_locale).split("-")[0]
        use = own if own is not None and own.split("-")[0] == language else template.locale
        locale = babel_locale(use, self.default_locale)
        return template, attrs.evolve(recipient, locale=locale)


def _fail(path: str, field: str, value: object, reason: str) -> ValidationError:
    return ValidationError(field, value, f"in {path}: {reason}")


def _events(events: Mapping[str, EventType] | Iterable[EventType]) -> dict[str, EventType]:
    given = list(events.values()) if isinstance(events, Mapping) else events
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise ValidationError("events", events, "expected EventTypes (a list or {name: type})")
    out: dict[str, EventType] = {}
    for event in given:
        if not isinstance(event, EventType):
            raise ValidationError("events", event, "expected an EventType")
        out[event.name] = event
    return out


def _check_parts(path: str, where: str, parts: object) -> Mapping[str, Any]:
    if not isinstance(parts, Mapping):
        raise _fail(path, where, parts, "expected a table with subject, text and html")
    for part in parts:
        if part not in _PARTS:
            raise _fail(
                path, f"{where}.{part}", parts[part], "unknown part; give subject, text, html"
            )
    for part in ("subject", "text"):
        if part not in parts:
            raise _fail(path, f"{where}.{part}", None, f"every language needs a {part}")
    return parts


def _tag(path: str, field: str, key: str) -> str:
    try:
        return check_locale(field, key)
    except ValidationError:
        reason = f"neither a setting ({', '.join(_SETTINGS)}) nor a language tag like 'de-CH'"
        raise _fail(path, field, key, reason) from None


def _template(
    path: str,
    name: str,
    table: object,
    events: Mapping[str, EventType],
    limits: RenderLimits,
) -> dict[str, NotificationTemplate]:
    field = f"templates.{name}"
    if not isinstance(table, Mapping):
        raise _fail(path, field, table, "expected a table of settings and languages")
    event_name = table.get("event", name)
    if event_name not in events:
        known = ", ".join(sorted(events)) or "-"
        raise _fail(path, f"{field}.event", event_name, f"unknown event type; known: {known}")
    category = table.get("category")
    if category not in ("transactional", "marketing"):
        raise _fail(path, f"{field}.category", category, "say 'transactional' or 'marketing'")
    versions: dict[str, NotificationTemplate] = {}
    for key, value in table.items():
        if key in _SETTINGS:
            continue
        where = f"{field}.{key}"
        tag = _tag(path, where, key)
        parts = _check_parts(path, where, value)
        if tag in versions:
            raise _fail(path, where, key, f"{tag} is given twice")
        try:
            versions[tag] = load_template(
                events[event_name],
                subject=parts["subject"],
                text=parts["text"],
                html=parts.get("html"),
                category=category,
                name=f"{name}.{key}",
                limits=limits,
                locale=tag,
            )
        except ValidationError as exc:
            raise _fail(path, exc.field, exc.value, exc.reason) from None
    if not versions:
        raise _fail(path, field, table, "no language given; add e.g. [templates.NAME.en]")
    return versions


def _files(source: Path) -> list[Path]:
    if source.is_dir():
        return sorted(source.glob("*.toml"))
    if source.is_file():
        return [source]
    raise ValidationError("path", str(source), "no such file or directory")


def load_templates(
    source: str | os.PathLike[str],
    events: Mapping[str, EventType] | Iterable[EventType],
    *,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> TemplateSet:
    """Read the templates of a TOML file, or of every ``*.toml`` in a directory.

    Every template is compiled and checked against its event's shape now.

    Raises:
        ValidationError: The field names the template, language and part
            (``templates.invoice-issued.de.text``); the reason starts with
            ``in <file>:``.
    """
    if not isinstance(source, str | os.PathLike):
        raise ValidationError("path", source, "expected a path to a .toml file or a directory")
    known = _events(events)
    templates: dict[str, dict[str, NotificationTemplate]] = {}
    origin: dict[str, str] = {}
    default: str | None = None
    for file in _files(Path(source)):
        path = str(file)
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise _fail(path, "templates", path, f"not valid TOML: {exc}") from None
        for key in document:
            if key not in ("templates", "default_locale"):
                raise _fail(path, key, document[key], "expected default_locale and [templates.*]")
        if "default_locale" in document:
            default = check_locale("default_locale", document["default_locale"])
        tables = document.get("templates", {})
        if not isinstance(tables, Mapping):
            raise _fail(path, "templates", tables, "expected [templates.NAME] tables")
        for name, table in tables.items():
            if name in templates:
                raise _fail(path, f"templates.{name}", name, f"also defined in {origin[name]}")
            templates[name] = _template(path, name, table, known, limits)
            origin[name] = path
    return TemplateSet(templates, default or "en")
