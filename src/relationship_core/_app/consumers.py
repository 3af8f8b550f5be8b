"""Stored event consumers: follow the event log from a saved position, exactly once in the store.

``crm.consumer(name).process(handler)`` reads the events after the consumer's
stored position and runs ``handler(logged_event, uow)`` for each in a unit of
work of its own, which also saves the position (storage contract 2's
``save_position``) in the SAME transaction as what the handler wrote. So a
crash never skips an event nor applies one twice: either the handler's writes
and the new position are committed together, or neither is.

The transaction checks that the stored position is still the one the event
was read after; a second process racing on the same consumer name then gets
`ConflictError` instead of applying the event again. Run one process per name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from relationship_core._app.envelope import LoggedEvent
from relationship_core._app.repository import require_store
from relationship_core._domain.validators import MAX_ID_LENGTH, check_text
from relationship_core._storage.protocols import JobControlTransaction, require_job_control
from relationship_core.exceptions import ConflictError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.session import OpenStore
    from relationship_core._app.uow import UnitOfWork

__all__ = ["Consumer", "ConsumerHandler"]

#: ``handler(logged_event, uow)``: what a consumer does with each event.
ConsumerHandler = Callable[[LoggedEvent, "UnitOfWork"], None]


class Consumer:
    """A named reader of the event log whose position is stored with its effects.

    Args:
        crm: The open store; its backend must declare ``job_control``.
        name: The consumer's name: its position is stored under it.
    """

    def __init__(self, crm: OpenStore, name: str) -> None:
        require_store("crm", crm)
        self.backend = require_job_control(crm.backend)
        self.crm = crm
        self.name = check_text("name", name, max_length=MAX_ID_LENGTH)

    def __repr__(self) -> str:
        return f"Consumer(name={self.name!r}, position={self.position})"

    @property
    def position(self) -> int:
        """The sequence number of the last event handled (0: none yet)."""
        return self.backend.get_position(self.name)

    def process(self, handler: ConsumerHandler, *, batch: int = 100) -> int:
        """Handle every event after the position, up to the end of the log; how many were handled.

        Each event runs in a unit of work of its own (caused by the event,
        in its correlation), committed with the new position. A handler that
        raises stops the run there: its event's writes and position roll back,
        the earlier ones stay, and the next run starts again at that event.
        """
        if not callable(handler):
            raise ValidationError("handler", handler, "a callable handler(logged_event, uow)")
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 1000:
            raise ValidationError("batch", batch, "an int from 1 to 1000")
        handled = 0
        position = self.position
        while True:
            page = self.crm.events.read_logged(position, batch)
            for logged in page:
                self._handle(handler, logged, position)
                position = logged.seq
                handled += 1
            if len(page) < batch:
                return handled

    def _handle(self, handler: ConsumerHandler, logged: LoggedEvent, after: int) -> None:
        name = self.name

        def save(tx: JobControlTransaction) -> None:
            current = tx.get_position(name)
            if current != after:
                raise ConflictError(
                    "consumer",
                    name,
                    after,
                    current,
                    f"another process moved its position to {current} (this one read {after}); "
                    "run one process per consumer name",
                )
            tx.save_position(name, logged.seq)

        with self.crm.unit_of_work(
            causation_id=logged.envelope.id, correlation_id=logged.envelope.correlation_id
        ) as uow:
            handler(logged, uow)
            uow._within_commit(save)
