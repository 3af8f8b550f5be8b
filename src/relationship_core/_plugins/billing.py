"""The "billing" feature: its kinds, events and policies, through the feature hooks.

A built-in plugin (``relationship_core.billing``) contributing what
`relationship_core._app.billing_kinds` (the kinds, with the references in
`BILLING_REFERENCES` applied), `relationship_core._billing.events` (the
events) and `relationship_core._app.billing.policies` (the event handlers)
define. Nothing is registered by importing any of them.

Settings (``open(url, config={"billing": {...}})``):

* ``invoice_on_fulfilment`` (default ``True``): the
  ``billing.invoice-on-fulfilment`` handler issues a fulfilled order's
  invoice in the unit of work that fulfils it; ``False`` leaves fulfilled
  orders to the run's order pass (or `BillingService.invoice_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.billing.policies import BILLING_HANDLERS
from relationship_core._app.billing_kinds import BILLING_MAPPINGS
from relationship_core._app.mapping import KindMapping
from relationship_core._billing import events as billing_events
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import EventHandlerSpec

__all__ = [
    "BILLING_REFERENCES",
    "relationship_core_event_handlers",
    "relationship_core_event_types",
    "relationship_core_kinds",
]

#: ``{kind: {field: referenced kind}}``, checked when a unit of work commits.
#:
#: The ``business`` fields are not references: records default to the
#: ``"default"`` business, which pure-domain code and 0.1 stores never saved.
BILLING_REFERENCES: dict[str, dict[str, str]] = {
    "retainer": {"party_id": "party", "engagement_id": "engagement"},
    "invoice": {"party_id": "party"},
    "credit_note": {"party_id": "party", "invoice_id": "invoice"},
    "order": {"party_id": "party", "invoice_id": "invoice"},
    "retainer_plan": {"id": "engagement", "business": "business"},
}


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """The billing kinds, with their references."""
    return [m.with_references(**BILLING_REFERENCES.get(m.kind, {})) for m in BILLING_MAPPINGS]


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Every billing event class."""
    return [getattr(billing_events, name) for name in billing_events.__all__]


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """The billing policies (see `relationship_core._app.billing.policies`)."""
    return list(BILLING_HANDLERS)
