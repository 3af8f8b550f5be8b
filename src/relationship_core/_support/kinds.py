"""The support kinds: tickets, CSAT surveys and the e-mail -> party lookup.

Contributed by the built-in "support" plugin (``relationship_core.support``).

`SupportContact` exists because a party's e-mail is indexed as written (its
local part keeps its case) and only the primary one: to find "the customer
with this address" in one read, and to make two submissions from a new
address collide instead of creating two people, support keeps its own record
keyed by the normalised address (`normalise_email`). Both racers add the same
id; the store refuses the second with ``ConflictError`` and it retries once,
finding the first one's party.
"""

from __future__ import annotations

from typing import Any

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.parties import EmailAddress
from relationship_core._domain.validators import non_empty_text
from relationship_core._support.csat import Survey
from relationship_core._support.sla_setup import SLA_SETUPS
from relationship_core._support.tickets import Ticket

__all__ = [
    "MAIL_THREADS",
    "SUPPORT_CONTACTS",
    "SUPPORT_MAPPINGS",
    "SURVEYS",
    "TICKETS",
    "MailThread",
    "SupportContact",
    "normalise_email",
]


def normalise_email(email: EmailAddress | str) -> str:
    """The lookup key of an address: trimmed and lower-cased, local part included.

    Examples:
        >>> normalise_email("  Ada@Example.COM ")
        'ada@example.com'
    """
    if isinstance(email, EmailAddress):  # checked and trimmed when it was made
        return email.value.lower()
    return EmailAddress(str(email).strip()).value.lower()


@attrs.frozen(kw_only=True)
class SupportContact:
    """Which party writes from an address (``id`` is the normalised address).

    Attributes:
        id: `normalise_email` of the address.
        party_id: The party.
    """

    id: str = attrs.field(validator=non_empty_text)
    party_id: str = attrs.field(validator=non_empty_text)


@attrs.frozen(kw_only=True)
class MailThread:
    """Which ticket a received message belongs to (``id`` is its normalised ``Message-ID``).

    Attributes:
        id: The ``Message-ID`` without its angle brackets, lower-cased.
        ticket_id: The ticket it opened or was threaded into.
        comment_id: The comment it became (``None``: it opened the ticket).
    """

    id: str = attrs.field(validator=non_empty_text)
    ticket_id: str = attrs.field(validator=non_empty_text)
    comment_id: str | None = None


def _ticket_layout_2(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 kept no customer contacts after the opening one."""
    return {**data, "customer_contacts": data.get("customer_contacts", [])}


TICKETS: KindMapping[Ticket] = KindMapping(
    "ticket",
    Ticket,
    schema_version=2,
    upgrades={1: _ticket_layout_2},
    indexed={
        "party_id": ("str?", lambda t: t.party_id),
        "status": ("str", lambda t: t.status.value),
        "closed": ("bool", lambda t: t.is_closed),
        "priority": ("str", lambda t: t.priority.value),
        "type": ("str", lambda t: t.type.value),
        "team": ("str?", lambda t: t.team),
        "assignee": ("str?", lambda t: t.assignee),
        "created_at": ("datetime", lambda t: t.created_at),
    },
    references={"party_id": "party"},
)

SURVEYS: KindMapping[Survey] = KindMapping(
    "survey",
    Survey,
    indexed={
        "ticket_id": ("str", lambda s: s.ticket_id),
        "party_id": ("str?", lambda s: s.party_id),
        "answered": ("bool", lambda s: s.answer is not None),
        "expires": ("datetime", lambda s: s.expires_at),
        # For the CSAT report (exact counts in the store).
        "score": ("int?", lambda s: None if s.answer is None else s.answer.score),
        "answered_at": ("datetime?", lambda s: None if s.answer is None else s.answer.at),
        "team": ("str?", lambda s: s.team),
        "agent": ("str?", lambda s: s.agent),
        "product": ("str?", lambda s: s.product),
    },
    references={"ticket_id": "ticket", "party_id": "party"},
)

SUPPORT_CONTACTS: KindMapping[SupportContact] = KindMapping(
    "support_contact",
    SupportContact,
    indexed={"party_id": ("str", lambda c: c.party_id)},
    references={"party_id": "party"},
)

MAIL_THREADS: KindMapping[MailThread] = KindMapping(
    "mail_thread",
    MailThread,
    indexed={"ticket_id": ("str", lambda m: m.ticket_id)},
    references={"ticket_id": "ticket"},
)

#: Every support mapping, in registration order.
SUPPORT_MAPPINGS: tuple[KindMapping[Any], ...] = (
    TICKETS,
    SURVEYS,
    SUPPORT_CONTACTS,
    MAIL_THREADS,
    SLA_SETUPS,
)
