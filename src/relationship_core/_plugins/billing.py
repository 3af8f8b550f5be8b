"""The "billing" feature: retainers, invoices, credit notes, orders, number sequences, events.

A built-in plugin (``relationship_core.billing``) pointing the feature hooks at
what `relationship_core._app.billing_kinds` and `relationship_core._billing.events`
define; billing's handlers and job handlers move here next.

References between billing kinds are declared in `BILLING_REFERENCES` but NOT yet
applied to the mappings: the billing service's tests and docstring start retainers
and place orders for parties they never save, so checking them would refuse those.
Applying them is one line (``with_references``) once those tests save their parties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.billing_kinds import BILLING_MAPPINGS
from relationship_core._app.mapping import KindMapping
from relationship_core._billing import events as billing_events
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl

__all__ = ["BILLING_REFERENCES", "relationship_core_event_types", "relationship_core_kinds"]

#: ``{kind: {field: referenced kind}}``, declared for when billing's tests save their parties.
BILLING_REFERENCES: dict[str, dict[str, str]] = {
    "retainer": {"party_id": "party", "engagement_id": "engagement"},
    "invoice": {"party_id": "party"},
    "credit_note": {"party_id": "party", "invoice_id": "invoice"},
    "order": {"party_id": "party", "invoice_id": "invoice"},
}


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """The billing kinds."""
    return list(BILLING_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Every billing event class."""
    return [getattr(billing_events, name) for name in billing_events.__all__]
