"""relationship_core: clients, customers and the money between them.

Everything an application needs is importable from here; the modules with a
leading underscore are private and may change without notice.
"""

from __future__ import annotations

from relationship_core._domain.clock import Clock, ManualClock, SystemClock
from relationship_core._domain.currency import Currency
from relationship_core._domain.custom_fields import (
    CustomFieldDefinition,
    CustomFieldSchema,
    FieldType,
)
from relationship_core._domain.engagements import (
    Channel,
    ClientLapsed,
    CustomerPromoted,
    Direction,
    Engagement,
    EngagementKind,
    EngagementStarted,
    Interaction,
    InteractionLogged,
    KindChange,
    last_contact,
)
from relationship_core._domain.events import EVENT_TYPES, DomainEvent, register_event
from relationship_core._domain.ids import IdGenerator, new_id
from relationship_core._domain.money import Money, Rounding
from relationship_core._domain.parties import (
    ContactRole,
    EmailAddress,
    Organisation,
    Party,
    PartyKind,
    Person,
)
from relationship_core._version import __version__

__all__ = [
    "__version__",
    # money
    "Currency",
    "Money",
    "Rounding",
    # time and ids
    "Clock",
    "IdGenerator",
    "ManualClock",
    "SystemClock",
    "new_id",
    # parties
    "ContactRole",
    "EmailAddress",
    "Organisation",
    "Party",
    "PartyKind",
    "Person",
    "CustomFieldDefinition",
    "CustomFieldSchema",
    "FieldType",
    # engagements
    "Channel",
    "Direction",
    "Engagement",
    "EngagementKind",
    "Interaction",
    "KindChange",
    "last_contact",
    # events
    "DomainEvent",
    "EVENT_TYPES",
    "register_event",
    "EngagementStarted",
    "CustomerPromoted",
    "ClientLapsed",
    "InteractionLogged",
]
