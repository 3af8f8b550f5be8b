"""The outbox's configuration: queues, retry schedules, channels built once per store.

Read from ``open(url, config={"notify": {...}})`` (see `service`). Channels
given as tables are built on first use and kept per store, keyed by the
table itself (a store given a new table for a name builds it again).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._notify.apprise_channel import AppriseChannel
from relationship_core._notify.channel import Channel, ChannelSpec
from relationship_core._notify.config import BUILTIN_CHANNELS, load_channels
from relationship_core._notify.retry import RetrySchedule
from relationship_core._notify.simple import LogChannel, MemoryChannel
from relationship_core._notify.smtp import SmtpChannel
from relationship_core._notify.webhook import WebhookChannel
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["QUEUE_PREFIX", "channel_of", "clock_of", "queue_of", "schedule_of", "settings_of"]

#: Jobs go to ``notify.<channel type>`` (``notify.smtp``, ``notify.webhook``...).
QUEUE_PREFIX = "notify."

_TYPES: tuple[tuple[type, str], ...] = (
    (MemoryChannel, "memory"),
    (LogChannel, "log"),
    (SmtpChannel, "smtp"),
    (WebhookChannel, "webhook"),
    (AppriseChannel, "apprise"),
)


def settings_of(uow: UnitOfWork) -> Mapping[str, Any]:
    """The ``notify`` settings of *uow*'s store."""
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


def schedule_of(settings: Mapping[str, Any], channel: str) -> RetrySchedule:
    """The retry schedule of *channel* (default: the Standard Webhooks example schedule)."""
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


#: Per store: each channel's configured entry and the channel it gave (built once).
_BUILT: dict[int, tuple[weakref.ref[Any], dict[str, tuple[object, Channel]]]] = {}


def channel_of(uow: UnitOfWork, channel: str) -> Channel:
    """The channel named *channel*: the configured object, or the one built from its table."""
    entry = _entry(settings_of(uow), channel)
    crm = uow._crm
    ref, built = _BUILT.get(id(crm), (None, {}))
    if ref is None or ref() is not crm:  # a new store (or a new one at a reused address)
        key = id(crm)
        built = {}
        _BUILT[key] = (weakref.ref(crm, lambda _: _BUILT.pop(key, None)), built)
    hit = built.get(channel)
    if hit is not None and hit[0] is entry:
        return hit[1]
    made = entry if isinstance(entry, Channel) else _build(uow, channel, entry)
    built[channel] = (entry, made)
    return made


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


def clock_of(uow: UnitOfWork) -> Clock:
    """The store's clock (a unit of work offers none of its own; jobs use the store's)."""
    clock = getattr(uow._crm, "clock", None)
    # Duck-typed: an isinstance check against the Clock protocol costs more than a delivery's read.
    return clock if callable(getattr(clock, "now", None)) else SystemClock()  # type: ignore[return-value]
