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

import logging
import os
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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
from relationship_core._app.runner import RetryAfter
from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._notify.apprise_channel import AppriseChannel
from relationship_core._notify.channel import Channel, ChannelSpec
from relationship_core._notify.config import BUILTIN_CHANNELS, load_channels
from relationship_core._notify.headers import check_address, check_header_text
from relationship_core._notify.message import Recipient, Unsubscribe
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.retry import RetrySchedule
from relationship_core._notify.simple import LogChannel, MemoryChannel
from relationship_core._notify.smtp import SmtpChannel
from relationship_core._notify.templates import NotificationTemplate
from relationship_core._notify.webhook import WebhookChannel
from relationship_core._storage.contract import Job, NewJob
from relationship_core.exceptions import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import UnitOfWork

__all__ = ["QUEUE_PREFIX", "Notifications", "deliver_job", "queue_of"]

log = logging.getLogger("relationship_core.notify")

#: Jobs go to ``notify.<channel type>`` (``notify.smtp``, ``notify.webhook``...).
QUEUE_PREFIX = "notify."

_TYPES: tuple[tuple[type, str], ...] = (
    (MemoryChannel, "memory"),
    (LogChannel, "log"),
    (SmtpChannel, "smtp"),
    (WebhookChannel, "webhook"),
    (AppriseChannel, "apprise"),
)


def _settings(uow: UnitOfWork) -> Mapping[str, Any]:
    return uow.config("notify")


def _entry(settings: Mapping[str, Any], channel: str) -> object:
    channels = settings.get("channels", {})
    if not isinstance(channels, Mapping) or channel not in channels:
        known = ", ".join(channels) if isinstance(channels, Mapping) else "-"
        raise ValidationError(
            "channel",
            channel,
            f"no such channel in open(config={{'notify': {{'channels': ...}}}}); configured: {known or '-'}",
        )
    return channels[channel]


def queue_of(settings: Mapping[str, Any], channel: str) -> str:
    """The queue of *channel*'s jobs: ``notify.`` and its type."""
    entry = _entry(settings, channel)
    kind = entry.get("type") if isinstance(entry, Mapping) else None
    if isinstance(kind, str):
        return QUEUE_PREFIX + kind
    for cls, kind in _TYPES:
        if isinstance(entry, cls):
            return QUEUE_PREFIX + kind
    raise ValidationError(
        f"notify.channels.{channel}",
        type(entry).__name__,
        "give a table with a type (e.g. {'type': 'webhook', 'url': ...}) or a built-in channel",
    )


def _schedule(settings: Mapping[str, Any], channel: str) -> RetrySchedule:
    raw = settings.get("retry", {})
    value = raw.get(channel) if isinstance(raw, Mapping) else None
    if value is None:
        return RetrySchedule()
    if isinstance(value, RetrySchedule):
        return value
    if isinstance(value, Mapping):
        try:
            return RetrySchedule(**value)
        except TypeError:
            pass
    raise ValidationError(
        f"notify.retry.{channel}", value, "give a RetrySchedule or {delays, jitter, seed}"
    )


#: Channels built from configuration tables, per store: built once, not per delivery.
_BUILT: dict[int, tuple[weakref.ref[Any], dict[str, Channel]]] = {}


def _channel(uow: UnitOfWork, channel: str) -> Channel:
    settings = _settings(uow)
    entry = _entry(settings, channel)
    if isinstance(entry, Channel):
        return entry
    crm = uow._crm
    ref, built = _BUILT.get(id(crm), (None, {}))
    if ref is None or ref() is not crm:  # a new store (or a new one at a reused address)
        key = id(crm)
        built = {}
        _BUILT[key] = (weakref.ref(crm, lambda _: _BUILT.pop(key, None)), built)
    if channel not in built:
        built[channel] = _build(uow, channel, entry)
    return built[channel]


def _build(uow: UnitOfWork, channel: str, entry: object) -> Channel:
    features = getattr(uow._crm, "features", None)
    specs: list[ChannelSpec] = list(BUILTIN_CHANNELS)
    if features is not None:
        builtin = {s.name for s in specs}
        specs += [
            s if isinstance(s, ChannelSpec) else ChannelSpec(s.name, s.send, s.description)
            for s in (c.value for c in features.notification_channels.contributions())
            if s.name not in builtin
        ]
    return load_channels({"channels": {channel: entry}}, secrets=os.environ, specs=specs)[channel]


def _clock(uow: UnitOfWork) -> Clock:
    # A unit of work offers no clock of its own; its store's is the one jobs use.
    clock = getattr(uow._crm, "clock", None)
    return clock if isinstance(clock, Clock) else SystemClock()


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


#: A success is recorded on the endpoint when the stored one is older than this.
SUCCESS_RESOLUTION = timedelta(seconds=1)


def _record_endpoint(uow: UnitOfWork, name: str, result: DeliveryResult, now: datetime) -> None:
    """Record *result* on endpoint *name*, in a short unit of work of its own.

    Every delivery to one endpoint would otherwise write the same record, so
    concurrent workers would conflict and roll back deliveries that were
    made. A success is recorded at most once per `SUCCESS_RESOLUTION`; a
    conflict means another worker recorded the endpoint just now: read again.
    """
    for _ in range(5):
        try:
            with uow._crm.unit_of_work() as own:
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


def deliver_job(job: Job, uow: UnitOfWork) -> None:
    """The job handler of the ``notify.*`` queues: deliver one stored notification.

    DELIVERED marks it sent; RETRY raises `RetryAfter` with the channel's next
    delay (the runner dead-letters after the last); DISABLE_ENDPOINT disables
    the endpoint and fails it; REJECTED fails it; SUPPRESSED records that.
    """
    stored = uow.repository(NOTIFICATIONS).find(str(job.payload.get("notification", "")))
    if stored is None or stored.status != "queued":
        return  # removed, or already settled by an earlier attempt
    endpoint = uow.repository(ENDPOINTS).find(stored.channel)
    if endpoint is not None and not endpoint.enabled:
        stored.status, stored.detail = "failed", f"endpoint disabled: {endpoint.disabled_reason}"
        return
    blocked = _suppressed(uow, stored)
    if blocked is not None:  # added while the message waited in the outbox
        stored.status, stored.detail = "suppressed", f"suppressed at delivery: {blocked}"
        return
    [result] = _channel(uow, stored.channel).deliver([stored.notification()]) or [
        DeliveryResult(stored.id, Outcome.RETRY, "the channel returned no result")
    ]
    now = _clock(uow).now()
    stored.detail = result.detail
    if result.outcome is Outcome.RETRY:
        wait = _schedule(_settings(uow), stored.channel).delay(job.attempts + 1, key=stored.id)
        raise RetryAfter(wait or timedelta(0), result.detail or "retry")
    seen = endpoint.last_success_at if endpoint is not None else None
    if not (  # the common case: a success just recorded by an earlier delivery
        result.outcome is Outcome.DELIVERED and seen is not None and now - seen < SUCCESS_RESOLUTION
    ):
        _record_endpoint(uow, stored.channel, result, now)
    if result.outcome is Outcome.DELIVERED:
        stored.status, stored.sent_at = "sent", now
    elif result.outcome is Outcome.SUPPRESSED:
        stored.status = "suppressed"
    else:
        stored.status = "failed"
    log.info("notification %s on %s: %s", stored.id, stored.channel, stored.status)


class Notifications:
    """The outbox of one store: queue notifications, look at them, manage endpoints.

    Args:
        crm: The open store (its backend must run jobs: memory, SQLite, PostgreSQL).
    """

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def __repr__(self) -> str:
        return f"Notifications({self.crm!r})"

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
        schedule = _schedule(settings, channel)
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
        with self.crm.unit_of_work() as uow:
            endpoint = uow.repository(ENDPOINTS).find(name)
            if endpoint is None:
                raise NotFoundError("endpoint_state", name)
            endpoint.apply(endpoint.state.enable())
        return endpoint

    def disable(self, name: str, reason: str) -> Endpoint:
        """Stop sending to endpoint *name*; its queued notifications fail until re-enabled."""
        at = self.crm.clock.now().astimezone(UTC)
        with self.crm.unit_of_work() as uow:
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
        with self.crm.unit_of_work() as uow:
            repo = uow.repository(SUPPRESSIONS)
            entry = repo.find(key)
            if entry is None:
                return repo.add(Suppression(id=key, reason=reason, at=at, note=text))
            entry.reason, entry.at, entry.note = reason, at, text
        return entry

    def unsuppress(self, target: str) -> Suppression:
        """Take *target* off the suppression list (by hand); what was removed."""
        key = _target(target)
        with self.crm.unit_of_work() as uow:
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
