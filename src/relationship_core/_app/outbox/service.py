"""The outbox: notifications stored with the change that caused them, delivered by the runner.

`Notifications.notify` renders the template and stores the notification in
the caller's unit of work, and enqueues its job there too: a change that
rolls back sends nothing, and a process that dies loses nothing. The job
handler (`deliver_job`, registered by the built-in "notify" plugin for the
queues ``notify.<channel type>``) delivers it and maps the result; a
transient failure is retried after the channel's `RetrySchedule`, with the
same idempotency key every time, then dead-lettered with its last error.

Settings (``open(url, config={"notify": {...}})``):

* ``channels``: ``{name: table}`` as `load_channels` reads them (secrets
  from the environment), or ``{name: channel}`` with a built channel object.
* ``retry``: ``{name: RetrySchedule}`` (or its fields as a table); default
  the Standard Webhooks example schedule with 10 % jitter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from relationship_core._app.outbox.delivery import GATE, SUCCESS_RESOLUTION, deliver_job
from relationship_core._app.outbox.settings import (
    QUEUE_PREFIX,
    queue_of,
    schedule_of,
)
from relationship_core._app.outbox.stored import (
    ENDPOINTS,
    NOTIFICATIONS,
    REASONS,
    SUPPRESSIONS,
    Endpoint,
    Reason,
    Status,
    StoredNotification,
    Suppression,
    target_of,
)
from relationship_core._notify.headers import check_address, check_header_text
from relationship_core._notify.message import Recipient, Unsubscribe
from relationship_core._notify.templates import NotificationTemplate
from relationship_core._storage.contract import NewJob
from relationship_core.exceptions import NotFoundError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import UnitOfWork

__all__ = ["QUEUE_PREFIX", "SUCCESS_RESOLUTION", "Notifications", "deliver_job", "queue_of"]


def _suppressed(uow: UnitOfWork, stored: StoredNotification) -> str | None:
    """Why *stored* must not be sent (its target is on the suppression list), or ``None``."""
    entry = uow.repository(SUPPRESSIONS).find(target_of(stored.address, stored.channel))
    if entry is None or not entry.blocks(stored.category):
        return None
    return f"{entry.id} is suppressed ({entry.reason})"


def _target(value: object) -> str:
    if isinstance(value, str) and value.startswith("channel:"):
        return "channel:" + check_header_text("target", value.removeprefix("channel:"))
    if isinstance(value, str) and "@" in value:
        return check_address("target", value).lower()
    raise ValidationError("target", value, "expected an e-mail address or 'channel:<name>'")


class Notifications:
    """The outbox of one store: queue notifications, look at them, manage endpoints.

    Args:
        crm: The open store (its backend must run jobs: memory, SQLite, PostgreSQL).
    """

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def __repr__(self) -> str:
        return f"Notifications({self.crm!r})"

    @contextmanager
    def _change(self) -> Iterator[UnitOfWork]:
        """A unit of work changing endpoints or suppressions; deliveries read them again after."""
        try:
            with self.crm.unit_of_work() as uow:
                yield uow
        finally:
            GATE.forget()

    def notify(
        self,
        uow: UnitOfWork,
        *,
        channel: str,
        to: Recipient,
        template: NotificationTemplate,
        context: Mapping[str, Any],
        key: str | None = None,
        payload: Mapping[str, Any] | None = None,
        unsubscribe: Unsubscribe | None = None,
    ) -> StoredNotification:
        """Render *template* for *to* and queue it on *channel*, in *uow*'s transaction.

        *key* (default: a new id) is the idempotency key receivers see on
        every attempt; a key used before is refused when *uow* commits.
        """
        if not isinstance(template, NotificationTemplate):
            raise ValidationError("template", template, "give a template from load_template()")
        if not isinstance(to, Recipient):
            raise ValidationError("to", to, "give a Recipient(address=..., name=...)")
        settings = uow.config("notify")
        queue = queue_of(settings, channel)
        schedule = schedule_of(settings, channel)
        now = self.crm.clock.now()
        note = template.notification(
            context,
            to,
            idempotency_key=key or f"ntf_{self.crm.new_id()}",
            created_at=now,
            payload=payload,
            unsubscribe=unsubscribe,
        )
        first = schedule.delay(1, key=note.idempotency_key) or timedelta(0)
        job = NewJob(
            queue,
            {"notification": note.idempotency_key},
            now + first,
            idempotency_key=f"notify:{note.idempotency_key}",
            max_attempts=schedule.attempts,
        )
        stored = StoredNotification.of(note, channel=channel, job_id=job.id)
        blocked = _suppressed(uow, stored)
        if blocked is not None:  # stored for the record, never queued
            stored.status, stored.job_id = "suppressed", ""
            stored.detail = f"suppressed at enqueue: {blocked}"
            uow.repository(NOTIFICATIONS).add(stored)
            return stored
        uow.repository(NOTIFICATIONS).add(stored)
        uow.enqueue(job)
        return stored

    def get(self, key: str) -> StoredNotification:
        """The notification with idempotency key *key* (``NotFoundError`` if none)."""
        return self.crm.repository(NOTIFICATIONS).get(key)

    def query(
        self, *, status: Status | None = None, channel: str | None = None, limit: int = 100
    ) -> Sequence[StoredNotification]:
        """Notifications, oldest first, optionally of one status or channel."""
        conditions = [
            (field, "eq", value)
            for field, value in (("status", status), ("channel", channel))
            if value is not None
        ]
        repo = self.crm.repository(NOTIFICATIONS)
        return repo.query(*conditions, order_by="created_at", limit=limit).items

    def endpoints(self) -> list[Endpoint]:
        """Every endpoint that has been sent to, by name."""
        return list(self.crm.repository(ENDPOINTS).iterate())

    def enable(self, name: str) -> Endpoint:
        """Re-enable endpoint *name* (after its owner fixed it); keeps its last success."""
        with self._change() as uow:
            endpoint = uow.repository(ENDPOINTS).find(name)
            if endpoint is None:
                raise NotFoundError("endpoint_state", name)
            endpoint.apply(endpoint.state.enable())
        return endpoint

    def disable(self, name: str, reason: str) -> Endpoint:
        """Stop sending to endpoint *name*; its queued notifications fail until re-enabled."""
        at = self.crm.clock.now().astimezone(UTC)
        with self._change() as uow:
            repo = uow.repository(ENDPOINTS)
            endpoint = repo.find(name) or repo.add(Endpoint(id=name))
            endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, at
        return endpoint

    def suppress(self, target: str, reason: Reason, *, note: str = "") -> Suppression:
        """Put *target* (an address, or ``channel:<name>``) on the suppression list.

        ``unsubscribed`` blocks marketing messages; ``hard_bounce``,
        ``complaint`` and ``manual`` block every message. Checked when a
        notification is queued and again when it is delivered. Suppressing
        again replaces the reason and time.
        """
        key = _target(target)
        if reason not in REASONS:
            raise ValidationError("reason", reason, f"expected one of {', '.join(REASONS)}")
        text = check_header_text("note", note) if note else ""
        at = self.crm.clock.now().astimezone(UTC)
        with self._change() as uow:
            repo = uow.repository(SUPPRESSIONS)
            entry = repo.find(key)
            if entry is None:
                return repo.add(Suppression(id=key, reason=reason, at=at, note=text))
            entry.reason, entry.at, entry.note = reason, at, text
        return entry

    def unsuppress(self, target: str) -> Suppression:
        """Take *target* off the suppression list (by hand); what was removed."""
        key = _target(target)
        with self._change() as uow:
            repo = uow.repository(SUPPRESSIONS)
            entry = repo.find(key)
            if entry is None:
                raise NotFoundError("suppression", key)
            repo.delete(entry)
        return entry

    def suppressions(self, *, reason: Reason | None = None) -> list[Suppression]:
        """The suppression list, oldest first, optionally of one reason."""
        if reason is not None and reason not in REASONS:
            raise ValidationError("reason", reason, f"expected one of {', '.join(REASONS)}")
        conditions = [] if reason is None else [("reason", "eq", reason)]
        repo = self.crm.repository(SUPPRESSIONS)
        return list(repo.query(*conditions, order_by="at", limit=10_000).items)
