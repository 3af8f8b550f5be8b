"""The work feature's reactions, run by the bus inside the unit of work that recorded the event.

`fulfil_order` is how a done order task reaches billing: the task records
`OrderFulfilmentRequested` (the intent); this handler loads the order in the
same unit of work and calls billing's own `Order.fulfil`, so the order's
fulfilment state keeps one owner (billing's aggregate and its rules) and the
task's move and the order's fulfilment commit together, or neither does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._domain.events import DomainEvent
from relationship_core._work.events import OrderFulfilmentRequested
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["FULFILLED_OR_LATER", "fulfil_order"]

#: Order states in which the order counts as fulfilled already (a redone task changes nothing).
FULFILLED_OR_LATER = frozenset(
    {
        OrderStatus.FULFILLED,
        OrderStatus.INVOICED,
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)


def fulfil_order(event: DomainEvent, uow: UnitOfWork) -> None:
    """Fulfil the order of a done task, once; an order billing cannot fulfil fails the move.

    An order not in progress yet (or cancelled) raises billing's
    ``InvalidTransitionError`` naming the order's allowed moves, and the unit
    of work writes nothing: start the order first (``BillingService.start_order``).
    """
    if not isinstance(event, OrderFulfilmentRequested):
        raise ValidationError("event", event.name, "expected task.order_fulfilment_requested")
    order = uow.repository(Order).get(event.order_id)
    if order.status in FULFILLED_OR_LATER:
        return
    order.fulfil(event.occurred_at)
