"""Notification templates: subject, text and HTML, checked against their event when loaded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import attrs
import jinja2
from babel import Locale
from jinja2.exceptions import SecurityError

from relationship_core._domain.locale import check_locale
from relationship_core._notify.check import check_template
from relationship_core._notify.formatting import FILTERS, for_recipient
from relationship_core._notify.headers import check_header_text
from relationship_core._notify.message import Category, Notification, Recipient, Unsubscribe
from relationship_core._notify.sandbox import (
    DEFAULT_LIMITS,
    LimitedEnvironment,
    RenderLimitError,
    RenderLimits,
    bounded,
)
from relationship_core._notify.shapes import EventType
from relationship_core.exceptions import ValidationError

__all__ = ["NotificationTemplate", "Rendered", "load_template"]


@cache
def _environment(*, html: bool) -> LimitedEnvironment:
    return LimitedEnvironment(autoescape=html, filters=FILTERS)


def _compile(name: str, part: str, source: object, event: EventType) -> jinja2.Template:
    label = f"{name}.{part}"
    if not isinstance(source, str):
        raise ValidationError(f"templates.{label}", source, "expected template text")
    env = _environment(html=part == "html")
    try:
        tree = env.parse(source, name=label)
        check_template(label, tree, event.context, env.globals)
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(
            f"templates.{label}", source, f"line {exc.lineno}: {exc.message}"
        ) from None


@attrs.frozen
class Rendered:
    """A template rendered for one recipient."""

    subject: str
    text: str
    html: str | None
    category: Category


@attrs.frozen
class NotificationTemplate:
    """The subject, text and optional HTML of one event's notification, loaded and checked.

    Build with `load_template`. HTML is autoescaped; text is not (it is
    never interpreted). Rendering is bounded by *limits*.
    """

    name: str
    event: EventType
    category: Category
    subject: jinja2.Template = attrs.field(repr=False)
    text: jinja2.Template = attrs.field(repr=False)
    html: jinja2.Template | None = attrs.field(repr=False)
    limits: RenderLimits
    locale: str | None = None

    def _render(self, part: str, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        try:
            return bounded(self.limits, lambda: template.generate(context))
        except RenderLimitError as exc:
            reason = f"stopped at a limit: {exc}"
        except SecurityError as exc:
            reason = f"refused by the sandbox: {exc}"
        except jinja2.TemplateError as exc:
            reason = f"failed: {exc}"
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            reason = f"failed: {exc}"
        except RecursionError:
            reason = "failed: recursion too deep"
        raise ValidationError(f"templates.{self.name}.{part}", self.name, reason)

    def render(self, context: Mapping[str, Any], recipient: Recipient) -> Rendered:
        """Render for *recipient*: their locale and zone format dates and money."""
        missing = sorted(set(self.event.context) - set(context))
        if missing:
            raise ValidationError(
                "context", sorted(context), f"{self.event.name} needs {', '.join(missing)}"
            )
        # Load the locale's CLDR data before the clock starts: a first load takes longer
        # than a render's whole budget and is not the template author's doing.
        Locale.parse(recipient.locale).currency_formats  # noqa: B018 - loads the data
        with for_recipient(recipient):
            subject = self._render("subject", self.subject, context).strip()
            text = self._render("text", self.text, context)
            html = None if self.html is None else self._render("html", self.html, context)
        check_header_text(f"templates.{self.name}.subject", subject)
        return Rendered(subject, text, html, self.category)

    def notification(
        self,
        context: Mapping[str, Any],
        recipient: Recipient,
        *,
        idempotency_key: str,
        created_at: datetime,
        payload: Mapping[str, Any] | None = None,
        unsubscribe: Unsubscribe | None = None,
    ) -> Notification:
        """Render and wrap into the `Notification` a channel delivers."""
        rendered = self.render(context, recipient)
        return Notification(
            idempotency_key=idempotency_key,
            event_type=self.event.name,
            recipient=recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category=rendered.category,
            created_at=created_at,
            payload=payload or {},
            unsubscribe=unsubscribe,
        )


def load_template(
    event: EventType,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    category: Category | str,
    name: str | None = None,
    limits: RenderLimits = DEFAULT_LIMITS,
    locale: str | None = None,
) -> NotificationTemplate:
    """Compile and check the parts of *event*'s template; every name is checked now.

    *category* is required: every template says whether it is
    ``"transactional"`` or ``"marketing"``. *locale* (a language tag) says
    which language the text is in, for `TemplateSet`.

    Raises:
        ValidationError: A syntax error, or a name or attribute the event's
            context does not offer; the field names the template and part,
            the value is the bad expression and the reason gives the line.
    """
    label = name or event.name
    try:
        kind = Category(category)
    except ValueError:
        raise ValidationError(
            f"templates.{label}.category", category, "expected 'transactional' or 'marketing'"
        ) from None
    return NotificationTemplate(
        name=label,
        event=event,
        category=kind,
        subject=_compile(label, "subject", subject, event),
        text=_compile(label, "text", text, event),
        html=None if html is None else _compile(label, "html", html, event),
        limits=limits,
        locale=None if locale is None else check_locale("locale", locale),
    )
