"""The job handler of the ``notify.*`` queues: deliver one stored notification.

Per job, in the job's unit of work: load the notification, check its
endpoint and the suppression list, deliver it through its channel, record
what came of it. The endpoint's state and the suppression entries are read
once per claimed batch (`Gate`), not once per job: the jobs a runner claimed
together (the same worker and lease expiry) share one read, for at most
`GATE_MAX_AGE`. So an endpoint disabled (or an address suppressed) by another
process while a batch is in hand stops that batch's remaining messages no
later than `GATE_MAX_AGE` after it happened, and every later batch at once;
a change made in this process (a 410 recorded, `Notifications.disable`,
``enable``, ``suppress``, ``unsuppress``) drops every read, so the next
message sees it.
They are read outside the job's unit of work, as before (neither is written
there; the endpoint is recorded in a short unit of work of its own).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from relationship_core._app.outbox.settings import channel_of, clock_of, schedule_of, settings_of
from relationship_core._app.outbox.stored import (
    ENDPOINTS,
    NOTIFICATIONS,
    SUPPRESSIONS,
    Endpoint,
    StoredNotification,
    Suppression,
    target_of,
)
from relationship_core._app.repository import Repository
from relationship_core._app.runner import RetryAfter
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._storage.contract import Job
from relationship_core.exceptions import ConflictError

if TYPE_CHECKING:
    from relationship_core._app.uow import Session, UnitOfWork

__all__ = ["GATE", "GATE_MAX_AGE", "SUCCESS_RESOLUTION", "Gate", "deliver_job"]

log = logging.getLogger("relationship_core.notify")

#: A success is recorded on the endpoint when the stored one is older than this.
SUCCESS_RESOLUTION = timedelta(seconds=1)

#: How long (seconds) one claimed batch may go on using its read of endpoints and suppressions.
GATE_MAX_AGE = 1.0


class Gate:
    """The endpoint states and suppression entries one worker thread read for its batch in hand."""

    def __init__(self, max_age: float = GATE_MAX_AGE) -> None:
        self.max_age = max_age
        self._local = threading.local()
        self._generation = 0  # bumped by every change made here: every thread reads again

    def _reads(self, crm: Session, job: Job) -> dict[tuple[str, str], object]:
        # A weak reference, not id(): a store opened where a closed one was is another store.
        batch = (self._generation, weakref.ref(crm), job.lease_owner, job.lease_expires_at)
        local = self._local
        now = time.monotonic()
        if (
            job.lease_expires_at is None
            or getattr(local, "batch", None) != batch
            or now - local.read_at >= self.max_age
        ):
            local.batch, local.read_at, local.reads = batch, now, {}
        reads: dict[tuple[str, str], object] = local.reads
        return reads

    def endpoint(self, crm: Session, job: Job, name: str) -> Endpoint | None:
        """Endpoint *name*'s state as this batch read it (``None``: never sent to)."""
        reads = self._reads(crm, job)
        key = (ENDPOINTS.kind, name)
        if key not in reads:
            reads[key] = Repository(crm, ENDPOINTS).find(name)
        found = reads[key]
        return found if isinstance(found, Endpoint) else None

    def suppression(self, crm: Session, job: Job, target: str) -> Suppression | None:
        """The suppression entry of *target* as this batch read it (``None``: not suppressed)."""
        reads = self._reads(crm, job)
        key = (SUPPRESSIONS.kind, target)
        if key not in reads:
            reads[key] = Repository(crm, SUPPRESSIONS).find(target)
        found = reads[key]
        return found if isinstance(found, Suppression) else None

    def forget(self) -> None:
        """Drop every thread's reads: an endpoint or a suppression changed in this process."""
        self._generation += 1


#: The gate of this process's deliveries (`Notifications` calls ``forget`` on every change).
GATE = Gate()


def _record_endpoint(crm: Session, name: str, result: DeliveryResult, now: datetime) -> None:
    """Record *result* on endpoint *name*, in a short unit of work of its own.

    Every delivery to one endpoint would otherwise write the same record, so
    concurrent workers would conflict and roll back deliveries that were
    made. A success is recorded at most once per `SUCCESS_RESOLUTION`; a
    conflict means another worker recorded the endpoint just now: read again.
    """
    try:
        for _ in range(5):
            try:
                with crm.unit_of_work() as own:
                    repo = own.repository(ENDPOINTS)
                    endpoint = repo.find(name) or repo.add(Endpoint(id=name))
                    state = endpoint.state.after(result, now)
                    last = endpoint.last_success_at
                    recent = last is not None and now - last < SUCCESS_RESOLUTION
                    if state == endpoint.state or (state.enabled and endpoint.enabled and recent):
                        return
                    endpoint.apply(state)
            except ConflictError:
                continue
            return
    finally:
        GATE.forget()  # the next delivery reads the endpoint again


def _blocked(crm: Session, job: Job, stored: StoredNotification) -> str | None:
    entry = GATE.suppression(crm, job, target_of(stored.address, stored.channel))
    if entry is None or not entry.blocks(stored.category):
        return None
    return f"{entry.id} is suppressed ({entry.reason})"


def deliver_job(job: Job, uow: UnitOfWork) -> None:
    """The job handler of the ``notify.*`` queues: deliver one stored notification.

    DELIVERED marks it sent; RETRY raises `RetryAfter` with the channel's next
    delay (the runner dead-letters after the last); DISABLE_ENDPOINT disables
    the endpoint and fails it; REJECTED fails it; SUPPRESSED records that.
    """
    stored = uow.repository(NOTIFICATIONS).find(str(job.payload.get("notification", "")))
    if stored is None or stored.status != "queued":
        return  # removed, or already settled by an earlier attempt
    crm = uow._crm
    endpoint = GATE.endpoint(crm, job, stored.channel)
    if endpoint is not None and not endpoint.enabled:
        stored.status, stored.detail = "failed", f"endpoint disabled: {endpoint.disabled_reason}"
        return
    blocked = _blocked(crm, job, stored)
    if blocked is not None:  # added while the message waited in the outbox
        stored.status, stored.detail = "suppressed", f"suppressed at delivery: {blocked}"
        return
    [result] = channel_of(uow, stored.channel).deliver([stored.notification()]) or [
        DeliveryResult(stored.id, Outcome.RETRY, "the channel returned no result")
    ]
    now = clock_of(uow).now()
    stored.detail = result.detail
    if result.outcome is Outcome.RETRY:
        schedule = schedule_of(settings_of(uow), stored.channel)
        wait = schedule.delay(job.attempts + 1, key=stored.id)
        raise RetryAfter(wait or timedelta(0), result.detail or "retry")
    seen = endpoint.last_success_at if endpoint is not None else None
    if not (  # the common case: a success just recorded by an earlier delivery
        result.outcome is Outcome.DELIVERED and seen is not None and now - seen < SUCCESS_RESOLUTION
    ):
        _record_endpoint(crm, stored.channel, result, now)
    if result.outcome is Outcome.DELIVERED:
        stored.status, stored.sent_at = "sent", now
    elif result.outcome is Outcome.SUPPRESSED:
        stored.status = "suppressed"
    else:
        stored.status = "failed"
    log.info("notification %s on %s: %s", stored.id, stored.channel, stored.status)
