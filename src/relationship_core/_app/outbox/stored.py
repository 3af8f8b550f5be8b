"""The outbox's stored kinds: each notification (rendered) and each endpoint's state.

A notification is stored rendered, in the unit of work of the change that
caused it, so what is sent later is what the template said then, and a
retry sends the same bytes with the same key.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs

from relationship_core._app.mapping import KindMapping

if TYPE_CHECKING:  # the channels need the notify extra; the kinds do not
    from relationship_core._notify.message import Notification
    from relationship_core._notify.results import EndpointState

__all__ = [
    "ENDPOINTS",
    "NOTIFICATIONS",
    "NOTIFY_MAPPINGS",
    "SUPPRESSIONS",
    "Endpoint",
    "Reason",
    "Status",
    "StoredNotification",
    "Suppression",
    "target_of",
]

#: Where a stored notification is: waiting (or retrying), sent, or given up.
Status = Literal["queued", "sent", "failed", "suppressed"]


@attrs.define(kw_only=True)
class StoredNotification:
    """A rendered notification in the outbox, and what became of it.

    Attributes:
        id: The idempotency key: the ``webhook-id`` on every attempt, and what
            the ``Message-ID`` is derived from.
        channel: The configured channel's name.
        status: ``queued`` (also while retrying; the job holds the attempts),
            ``sent``, ``failed`` or ``suppressed``.
        job_id: The job that delivers it.
        detail: The channel's last word (why it failed, what was suppressed).
        sent_at: When it was delivered.
    """

    id: str
    channel: str
    event_type: str
    subject: str
    text: str
    created_at: datetime
    html: str | None = None
    category: str = "transactional"
    payload: dict[str, Any] = attrs.field(factory=dict)
    address: str = ""
    name: str = ""
    locale: str = "en"
    time_zone: str = "UTC"
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    status: str = "queued"
    job_id: str = ""
    detail: str = ""
    sent_at: datetime | None = None

    @classmethod
    def of(cls, note: Notification, *, channel: str, job_id: str) -> StoredNotification:
        """The record of *note*, queued for *channel*."""
        unsub = note.unsubscribe
        return cls(
            id=note.idempotency_key,
            channel=channel,
            event_type=note.event_type,
            subject=note.subject,
            text=note.text,
            html=note.html,
            category=note.category.value,
            created_at=note.created_at,
            payload=dict(note.payload),
            address=note.recipient.address,
            name=note.recipient.name,
            locale=note.recipient.locale,
            time_zone=note.recipient.time_zone.key,
            unsubscribe_url=None if unsub is None else unsub.url,
            unsubscribe_mailto=None if unsub is None else unsub.mailto,
            job_id=job_id,
        )

    def notification(self) -> Notification:
        """The message a channel delivers, as it was rendered."""
        from relationship_core._notify.message import (
            Category,
            Notification,
            Recipient,
            Unsubscribe,
        )

        unsub = (
            None
            if self.unsubscribe_url is None and self.unsubscribe_mailto is None
            else Unsubscribe(url=self.unsubscribe_url, mailto=self.unsubscribe_mailto)
        )
        return Notification(
            idempotency_key=self.id,
            event_type=self.event_type,
            recipient=Recipient(self.address, self.name, self.locale, self.time_zone),
            subject=self.subject,
            text=self.text,
            html=self.html,
            category=Category(self.category),
            created_at=self.created_at,
            payload=self.payload,
            unsubscribe=unsub,
        )


@attrs.define(kw_only=True)
class Endpoint:
    """Whether one configured channel (an endpoint) still receives messages.

    Attributes:
        id: The channel's configured name.
        enabled: ``False`` after a 410 Gone (or by hand) until re-enabled.
        disabled_reason: Why, for its owner.
        disabled_at: When.
        last_success_at: The last delivery.
    """

    id: str
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    last_success_at: datetime | None = None

    @property
    def state(self) -> EndpointState:
        """As the channels' `EndpointState`."""
        from relationship_core._notify.results import EndpointState

        return EndpointState(
            self.enabled, self.disabled_reason, self.disabled_at, self.last_success_at
        )

    def apply(self, state: EndpointState) -> None:
        """Take *state*'s values."""
        self.enabled = state.enabled
        self.disabled_reason = state.disabled_reason
        self.disabled_at = state.disabled_at
        self.last_success_at = state.last_success_at


NOTIFICATIONS: KindMapping[StoredNotification] = KindMapping(
    "notification",
    StoredNotification,
    indexed={
        "channel": ("str", lambda n: n.channel),
        "status": ("str", lambda n: n.status),
        "created_at": ("datetime", lambda n: n.created_at),
    },
    # Outbox bookkeeping, rewritten by every delivery: a replaced version would be a second
    # copy of the rendered message (its text and payload) per status change, and it cost a
    # third of the delivery's commit. The trail is the record itself and its job.
    versions=False,
)

ENDPOINTS: KindMapping[Endpoint] = KindMapping(
    "endpoint_state", Endpoint, indexed={"enabled": ("bool", lambda e: e.enabled)}
)

#: Why an address or endpoint is on the suppression list.
Reason = Literal["unsubscribed", "hard_bounce", "complaint", "manual"]
REASONS: tuple[str, ...] = ("unsubscribed", "hard_bounce", "complaint", "manual")


def target_of(address: str, channel: str) -> str:
    """What a suppression is keyed by: the e-mail address (lower-cased), else the channel.

    Webhooks and other channels that address no one are suppressed by
    channel name (``"channel:billing-hooks"``).
    """
    return address.lower() if address else f"channel:{channel}"


@attrs.define(kw_only=True)
class Suppression:
    """An address or endpoint that must not be sent to, and why.

    Attributes:
        id: The target (`target_of`): a lower-cased address or ``channel:<name>``.
        reason: ``unsubscribed`` (blocks marketing only), ``hard_bounce``,
            ``complaint`` or ``manual`` (block every message).
        at: When it was added.
        note: Free text for whoever looks later (the bounce's diagnostic).
    """

    id: str
    reason: str
    at: datetime
    note: str = ""

    def blocks(self, category: str) -> bool:
        """Whether a message of *category* (``transactional``/``marketing``) is blocked."""
        return self.reason != "unsubscribed" or category == "marketing"


SUPPRESSIONS: KindMapping[Suppression] = KindMapping(
    "suppression",
    Suppression,
    indexed={"reason": ("str", lambda s: s.reason), "at": ("datetime", lambda s: s.at)},
)

#: The outbox's kinds, contributed by the built-in "notify" plugin.
NOTIFY_MAPPINGS: tuple[KindMapping[Any], ...] = (NOTIFICATIONS, ENDPOINTS, SUPPRESSIONS)
