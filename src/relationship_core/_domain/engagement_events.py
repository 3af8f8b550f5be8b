"""An engagement's kinds, its history of promotions and lapses, and its events."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

import attrs

from relationship_core._domain.events import DomainEvent, register_event
from relationship_core._domain.validators import a_date, aware, non_empty_text, to_enum

__all__ = [
    "ClientLapsed",
    "CustomerPromoted",
    "EngagementEnded",
    "EngagementKind",
    "EngagementStarted",
    "KindChange",
    "as_engagement_kind",
]


class EngagementKind(enum.Enum):
    """Client or customer. Every client is a customer; not every customer is a client."""

    CUSTOMER = "customer"
    CLIENT = "client"

    @property
    def is_customer(self) -> bool:
        """Always true: clients are customers too."""
        return True

    @property
    def is_client(self) -> bool:
        """Whether this is the long-term, retainer-paying kind."""
        return self is EngagementKind.CLIENT

    def includes(self, other: EngagementKind) -> bool:
        """Whether asking for *self* includes engagements of kind *other*.

        Asking for customers includes clients; asking for clients does not
        include plain customers.
        """
        return self is EngagementKind.CUSTOMER or other is EngagementKind.CLIENT


def as_engagement_kind(value: object) -> EngagementKind:
    """*value* (a kind or its name) as an `EngagementKind`, else a `ValidationError` naming ``kind``."""
    return to_enum(EngagementKind, "kind", value)


@attrs.frozen(kw_only=True)
class KindChange:
    """A promotion or a lapse, as history.

    Attributes:
        from_kind: The kind before.
        to_kind: The kind after.
        on: The effective day, in the engagement's time zone.
        at: When it was recorded.
        reason: Why, in words.
    """

    from_kind: EngagementKind = attrs.field(converter=as_engagement_kind)
    to_kind: EngagementKind = attrs.field(converter=as_engagement_kind)
    on: date = attrs.field(validator=a_date)
    at: datetime = attrs.field(validator=aware)
    reason: str = attrs.field(validator=non_empty_text)


@register_event("engagement.started")
@attrs.frozen(kw_only=True)
class EngagementStarted(DomainEvent):
    """A party became a customer or a client of the business."""

    party_id: str
    kind: EngagementKind
    acquired_on: date
    sales_rep: str | None = None


@register_event("engagement.promoted")
@attrs.frozen(kw_only=True)
class CustomerPromoted(DomainEvent):
    """A customer became a client, served by an account manager."""

    party_id: str
    account_manager: str
    on: date
    reason: str


@register_event("engagement.lapsed")
@attrs.frozen(kw_only=True)
class ClientLapsed(DomainEvent):
    """A client fell back to being a customer, served by a support team."""

    party_id: str
    support_team: str
    on: date
    reason: str


@attrs.frozen(kw_only=True)
class EngagementEnded(DomainEvent):
    """An engagement ended: the party stopped buying or its retainer was cancelled for good.

    A lapse (client back to customer) is not an end; this is. When it ends the
    party's last live engagement, the party churns (the lifecycle feature).
    """

    name: ClassVar[str] = "engagement.ended"

    party_id: str = attrs.field(validator=non_empty_text)
    on: date = attrs.field(validator=a_date)
    reason_code: str = attrs.field(validator=non_empty_text)
    note: str = ""
