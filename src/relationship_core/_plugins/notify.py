"""The "notify" feature: the outbox's kinds, the built-in channels and the delivery jobs.

A built-in plugin (``relationship_core.notify``) using the same hooks a
third-party feature uses: it stores notifications and endpoint states, offers
the built-in channel kinds, and handles the ``notify.<channel type>`` queues
with `relationship_core._notify.outbox.deliver_job`. A plugin adding a channel
kind ``chat`` registers ``JobHandlerSpec("notify.chat", deliver_job)`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._notify.config import BUILTIN_CHANNELS
from relationship_core._notify.outbox import QUEUE_PREFIX, deliver_job
from relationship_core._notify.stored import NOTIFY_MAPPINGS
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import JobHandlerSpec, NotificationChannelSpec

__all__ = [
    "relationship_core_job_handlers",
    "relationship_core_kinds",
    "relationship_core_notification_channels",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Notifications and endpoint states."""
    return list(NOTIFY_MAPPINGS)


@hookimpl
def relationship_core_notification_channels() -> Sequence[NotificationChannelSpec]:
    """The built-in channel kinds: log, memory, smtp, webhook, apprise."""
    return list(BUILTIN_CHANNELS)


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """One delivery queue per built-in channel kind."""
    return [
        JobHandlerSpec(QUEUE_PREFIX + spec.name, deliver_job, f"delivers {spec.description}")
        for spec in BUILTIN_CHANNELS
    ]
