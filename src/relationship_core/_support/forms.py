"""A support form submission, checked where it enters."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable

import attrs

from relationship_core._domain.parties import EmailAddress
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = ["FormSubmission", "TicketChannel", "TicketPriority", "TicketType"]

# Control characters (CR, LF, NUL, ...) would let a name forge mail headers.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_HEADER = re.compile(r"(?i)\b(?:bcc|cc|to|from|subject|content-type|reply-to)\s*:")


class TicketChannel(enum.Enum):
    """How a ticket arrived."""

    FORM = "form"
    EMAIL = "email"
    PHONE = "phone"
    PORTAL = "portal"


class TicketPriority(enum.Enum):
    """How urgent; SLA policies are chosen by it."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class TicketType(enum.Enum):
    """What the customer wants; disputes and returns settle with a refund or credit note."""

    QUESTION = "question"
    PROBLEM = "problem"
    DISPUTE = "dispute"
    RETURN = "return"


def _priority(value: object) -> TicketPriority:
    return to_enum(TicketPriority, "priority", value)


def _type(value: object) -> TicketType:
    return to_enum(TicketType, "type", value)


def _channel(value: object) -> TicketChannel:
    return to_enum(TicketChannel, "channel", value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("name", value, "give the sender's name")
    if _CONTROL.search(value) or _HEADER.search(value):
        raise ValidationError(
            "name", value, "a name cannot hold line breaks, control characters or headers"
        )
    if len(value) > 200:
        raise ValidationError("name", value, "at most 200 characters")
    return value.strip()


def _email(value: object) -> EmailAddress:
    if value is None or value == "":
        raise ValidationError("email", value, "a support form needs an e-mail address to answer")
    if isinstance(value, EmailAddress):
        return value
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            "email", value, "an address cannot hold line breaks or control characters"
        )
    try:
        return EmailAddress(value)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError("email", value, exc.reason) from None


def _text(field: str, limit: int) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or "\x00" in value or len(value) > limit:
            raise ValidationError(field, value, f"text without NUL, at most {limit} characters")
        return value

    return check


def _problem(value: object) -> str:
    return _text("problem", 20_000)(value)


def _attachments(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("attachments", value, "give a list of attachment references")
    refs = tuple(value)
    for index, ref in enumerate(refs):
        if not isinstance(ref, str) or not ref or _CONTROL.search(ref):
            raise ValidationError(
                f"attachments[{index}]", ref, "a reference is text (a stored file's id)"
            )
    return refs


@attrs.frozen(kw_only=True)
class FormSubmission:
    """What a customer filled in: checked here, trusted by the ticket.

    Examples:
        >>> FormSubmission(name="Ada\\r\\nBcc: all@x.org", email="ada@example.com", problem="?")
        Traceback (most recent call last):
        ...
        relationship_core.exceptions.ValidationError: name='Ada\\r\\nBcc: all@x.org': a name cannot hold line breaks, control characters or headers

    Attributes:
        name: The sender's name (no line breaks or header text).
        email: Where to answer (required).
        problem: What is wrong, in their words.
        product: The product it is about, if named.
        priority: The priority they chose (default normal).
        type: Question, problem, dispute or return.
        attachments: References to stored files (never the bytes).
        channel: Form, e-mail, phone or portal.
        order_id: The order a dispute or return is about.
    """

    name: str = attrs.field(converter=_name)
    email: EmailAddress = attrs.field(converter=_email)
    problem: str = attrs.field(converter=_problem)
    product: str | None = None
    priority: TicketPriority = attrs.field(default=TicketPriority.NORMAL, converter=_priority)
    type: TicketType = attrs.field(default=TicketType.QUESTION, converter=_type)
    attachments: tuple[str, ...] = attrs.field(default=(), converter=_attachments)
    channel: TicketChannel = attrs.field(default=TicketChannel.FORM, converter=_channel)
    order_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.product is not None:
            _text("product", 200)(self.product)
        if self.type in (TicketType.DISPUTE, TicketType.RETURN) and not self.order_id:
            raise ValidationError("order_id", self.order_id, f"a {self.type.value} names the order")
