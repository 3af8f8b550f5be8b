"""The "notify" feature: the outbox's kinds, the built-in channels and the delivery jobs.

A built-in plugin (``relationship_core.notify``) using the same hooks a
third-party feature uses: it stores notifications and endpoint states, offers
the built-in channel kinds, and handles the ``notify.<channel type>`` queues
with `relationship_core._app.outbox.service.deliver_job`. A plugin adding a
channel kind ``chat`` registers ``JobHandlerSpec("notify.chat", deliver_job)`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from relationship_core._app.mapping import KindMapping
from relationship_core._app.outbox.stored import NOTIFY_MAPPINGS
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import JobHandlerSpec, NotificationChannelSpec

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._storage.contract import Job

__all__ = [
    "relationship_core_job_handlers",
    "relationship_core_kinds",
    "relationship_core_notification_channels",
]

#: The built-in channel kinds, each delivered from its own queue ``notify.<kind>``.
BUILTIN_KINDS = ("log", "memory", "smtp", "webhook", "apprise")


def deliver(job: Job, uow: UnitOfWork) -> None:
    """`deliver_job`, imported when first needed (the channels need the ``notify`` extra)."""
    from relationship_core._app.outbox.service import deliver_job

    deliver_job(job, uow)


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Notifications and endpoint states."""
    return list(NOTIFY_MAPPINGS)


@hookimpl
def relationship_core_notification_channels() -> Sequence[NotificationChannelSpec]:
    """The built-in channel kinds: log, memory, smtp, webhook, apprise (none without the extra)."""
    try:
        from relationship_core._notify.config import BUILTIN_CHANNELS
    except ImportError:  # pip install 'relationship-core[notify]'
        return []
    return list(BUILTIN_CHANNELS)


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """One delivery queue per built-in channel kind."""
    return [
        JobHandlerSpec(f"notify.{kind}", deliver, f"delivers notifications on {kind} channels")
        for kind in BUILTIN_KINDS
    ]
