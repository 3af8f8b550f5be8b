"""Dispatching a unit of work's events: which are new, their envelopes, their handlers.

Breadth first: the command's events (in time order), then what each
handler's changes recorded, each with an envelope naming its cause, up to the
bus's depth limit. Which aggregates to look at after a handler is the
`relationship_core._app.scan.Scanner`'s answer.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import attrs

from relationship_core._app.envelope import Envelope
from relationship_core._domain.events import DomainEvent, EventRecorder, Recorded, noting
from relationship_core.exceptions import EventCascadeError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["COMMAND", "Pending", "dispatch", "scan"]

#: The name the cascade chain gives the change that started it.
COMMAND = "the command"


@attrs.define
class Pending:
    """An event of this unit of work, with its envelope and how it came about."""

    event: DomainEvent
    kind: str
    envelope: Envelope
    depth: int
    chain: tuple[tuple[str, str], ...]


def scan(
    uow: UnitOfWork, cause: Pending | None, handler: str, touched: list[Recorded] | None = None
) -> list[Pending]:
    """Events recorded or published since the last scan, given their envelopes.

    Without *touched* (the command's events) every tracked aggregate is
    looked at; after a handler, only those it tracked or changed (see
    `relationship_core._app.scan`).
    """
    if touched is None:
        uow._adopt_children()
        entries = uow._scanner.everything()
        published = uow._published
    else:
        entries = uow._scanner.since(touched, uow._adopt_children)
        published = uow._published[uow._published_looked :]
    uow._published_looked = len(uow._published)
    found: list[tuple[str, DomainEvent]] = []
    for entry in entries:
        if isinstance(entry.obj, EventRecorder):
            found.extend((entry.mapping.kind, e) for e in entry.obj.pending_events)
    found.extend(published)
    fresh = [(k, e) for k, e in found if id(e) not in uow._pending]
    if cause is None:  # the command's own events, in time order as before
        fresh.sort(key=lambda pair: pair[1].occurred_at)
    out = []
    for kind, event in fresh:
        envelope = Envelope(
            uow._crm.new_id(),
            cause.envelope.id if cause is not None else uow.causation_id,
            uow.correlation_id,
            uow.actor,
            type(event).schema_version,
        )
        chain = (*(cause.chain if cause else ()), (handler, event.name))
        pending = Pending(event, kind, envelope, cause.depth + 1 if cause else 0, chain)
        uow._pending[id(event)] = pending
        out.append(pending)
    return out


def dispatch(uow: UnitOfWork) -> list[Pending]:
    """Run the handlers of every event, breadth first; every event, in log order."""
    bus = uow._crm.bus
    limit = bus.max_depth
    queue = deque(scan(uow, None, COMMAND))
    ordered = list(queue)
    with noting() as touched:
        while queue:
            current = queue.popleft()
            for spec in bus.handlers_for(current.event.name):
                try:
                    spec.handler(current.event, uow)
                except Exception as exc:
                    exc.add_note(
                        f"in event handler {spec.name!r} reacting to {current.event.name} "
                        f"of {current.event.aggregate_id!r}; nothing was written"
                    )
                    raise
                caused = scan(uow, current, spec.name, touched)
                for pending in caused:
                    if pending.depth > limit:
                        raise EventCascadeError(pending.chain, limit)
                queue.extend(caused)
                ordered.extend(caused)
    return ordered
