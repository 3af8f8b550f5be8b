"""What a channel delivers: a rendered `Notification` for one `Recipient`."""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from babel import Locale, UnknownLocaleError

from relationship_core._notify.headers import check_address, check_header_text
from relationship_core.exceptions import ValidationError

__all__ = ["Category", "Notification", "Recipient", "Unsubscribe"]


class Category(enum.Enum):
    """Why a message is sent, which decides consent rules.

    ``TRANSACTIONAL`` messages answer something the recipient did or owes
    (an invoice, a receipt); ``MARKETING`` messages need consent, carry
    ``List-Unsubscribe`` and are the ones a suppression list usually blocks.
    """

    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


def _locale(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("recipient.locale", value, "expected a locale like 'en_GB'")
    return _known_locale(value)


@functools.lru_cache(maxsize=256)
def _known_locale(value: str) -> str:
    """*value* checked against CLDR once per process (every message names its locale)."""
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValidationError(
            "recipient.locale", value, "unknown locale; use a CLDR name like 'de_CH'"
        ) from None
    return value.replace("-", "_")


def _zone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            pass
    raise ValidationError("recipient.time_zone", value, "expected an IANA zone like 'Europe/Paris'")


def _name(value: object) -> str:
    return check_header_text("recipient.name", value)


def _event_type(value: object) -> str:
    return check_header_text("event_type", value)


def _subject(value: object) -> str:
    return check_header_text("subject", value)


def _optional_address(value: object) -> str:
    return "" if value == "" else check_address("recipient.address", value)


@attrs.frozen
class Recipient:
    """Who receives a message, and how they read dates and money.

    Attributes:
        address: E-mail address (empty for channels that do not address people, like webhooks).
        name: Display name; any Unicode, but one line.
        locale: CLDR locale for Babel (``"en_GB"``, ``"de_CH"``).
        time_zone: Where the recipient reads the clock.
    """

    address: str = attrs.field(default="", converter=_optional_address)
    name: str = attrs.field(default="", converter=_name)
    locale: str = attrs.field(default="en", converter=_locale)
    time_zone: ZoneInfo = attrs.field(default=ZoneInfo("UTC"), converter=_zone)


def _https(value: object) -> str | None:
    if value is None:
        return None
    text = check_header_text("unsubscribe.url", value)
    if not text.startswith("https://") or any(c in text for c in "<>, "):
        raise ValidationError("unsubscribe.url", value, "expected an https:// URL (RFC 8058)")
    return text


def _mailto(value: object) -> str | None:
    return None if value is None else check_address("unsubscribe.mailto", value)


@attrs.frozen
class Unsubscribe:
    """Where a marketing recipient unsubscribes (``List-Unsubscribe``, RFC 2369/8058).

    Attributes:
        url: An https URL accepting a one-click POST (``List-Unsubscribe-Post``).
        mailto: An address that unsubscribes the sender of a mail to it.
    """

    url: str | None = attrs.field(default=None, converter=_https)
    mailto: str | None = attrs.field(default=None, converter=_mailto)

    def __attrs_post_init__(self) -> None:
        if self.url is None and self.mailto is None:
            raise ValidationError("unsubscribe", self, "give a url, a mailto, or both")


def _aware(value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError("created_at", value, "expected an aware datetime")
    return value


def _payload(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError("payload", value, "expected a mapping of JSON values")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError("payload", value, "must be JSON-serialisable (no NaN)") from None
    return dict(value)


def _key(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValidationError("idempotency_key", value, "expected 1 to 200 characters")
    return check_header_text("idempotency_key", value)


@attrs.frozen
class Notification:
    """One message, rendered, for one recipient: what ``Channel.deliver`` receives.

    The *idempotency_key* is the same on every attempt: channels derive the
    ``Message-ID`` and the ``webhook-id`` from it, so receivers can drop
    duplicates when a retry follows a delivery whose answer was lost.

    Attributes:
        idempotency_key: Stable across retries (e.g. ``"invoice-issued:INV-7:ada"``).
        event_type: What happened, e.g. ``"invoice.issued"``; a webhook's ``type``.
        recipient: Who receives it.
        subject: One line (checked against header injection).
        text: The plain-text body.
        html: The HTML alternative, if any.
        category: Transactional or marketing; marketing needs *unsubscribe*.
        created_at: When the notification was made (aware).
        payload: The JSON data a webhook sends.
        unsubscribe: Where a marketing recipient unsubscribes.
    """

    idempotency_key: str = attrs.field(converter=_key)
    event_type: str = attrs.field(converter=_event_type)
    recipient: Recipient
    subject: str = attrs.field(converter=_subject)
    text: str
    created_at: datetime = attrs.field(converter=_aware)
    html: str | None = None
    category: Category = Category.TRANSACTIONAL
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_payload)
    unsubscribe: Unsubscribe | None = None

    def __attrs_post_init__(self) -> None:
        if self.category is Category.MARKETING and self.unsubscribe is None:
            raise ValidationError(
                "unsubscribe", None, "marketing messages must say where to unsubscribe"
            )
