"""The channel contract: ``deliver(batch)``, the suppression hook, and named `ChannelSpec` records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from relationship_core._notify.message import Category, Notification
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.secrets import ChannelSecrets
from relationship_core._plugins.specs import NotificationChannelSpec
from relationship_core.exceptions import ValidationError

__all__ = [
    "NO_SUPPRESSION",
    "ChannelConfig",
    "Channel",
    "ChannelFactory",
    "ChannelSpec",
    "SuppressionList",
    "suppressed_results",
]


_REQUIRED: Any = object()


@runtime_checkable
class SuppressionList(Protocol):
    """Consulted by a channel at send time, for each message, just before sending.

    Checked then rather than when the notification was made, because an
    unsubscribe or a hard bounce may arrive while the message waits in the
    outbox. Return ``True`` to drop the message (its result is ``SUPPRESSED``).
    """

    def is_suppressed(self, channel: str, notification: Notification) -> bool:
        """Whether *notification* must not be sent on *channel*."""


class _NoSuppression:
    def is_suppressed(self, channel: str, notification: Notification) -> bool:
        return False

    def __repr__(self) -> str:
        return "NO_SUPPRESSION"


#: The default: nothing is suppressed.
NO_SUPPRESSION: SuppressionList = _NoSuppression()


@runtime_checkable
class Channel(Protocol):
    """Delivers batches of notifications; the outbox runner's job handler calls it.

    ``deliver`` returns one `DeliveryResult` per notification, in order, and
    raises only for a programming error: every failure of the far side (a
    refused connection, a 5xx) is a result, so one bad message never loses
    the results of the others.
    """

    @property
    def name(self) -> str:
        """The channel's configured name (``"mail"``, ``"billing-webhook"``)."""

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        """Send *batch*; one result per notification, in the same order."""


def suppressed_results(
    channel: str, batch: Sequence[Notification], suppression: SuppressionList
) -> dict[int, DeliveryResult]:
    """The results for the messages of *batch* the suppression list blocks, by index."""
    blocked: dict[int, DeliveryResult] = {}
    for index, note in enumerate(batch):
        if suppression.is_suppressed(channel, note):
            detail = (
                "recipient unsubscribed or suppressed"
                if note.category is Category.MARKETING
                else "recipient suppressed (e.g. hard bounce)"
            )
            blocked[index] = DeliveryResult(note.idempotency_key, Outcome.SUPPRESSED, detail)
    return blocked


@attrs.frozen
class ChannelConfig:
    """What a channel factory gets besides its secrets: its name, plain options, the hooks.

    Attributes:
        name: The channel's configured name (the key under ``[channels]``).
        options: Plain options, secret references removed (they are in the secrets).
        suppression: The suppression list the channel must consult at send time.
    """

    name: str
    options: Mapping[str, Any] = attrs.field(factory=dict)
    suppression: SuppressionList = NO_SUPPRESSION

    def option(self, key: str, kind: type[Any], default: Any = _REQUIRED) -> Any:
        """Option *key* checked to be a *kind*; a `ValidationError` naming the path otherwise."""
        field = f"channels.{self.name}.{key}"
        if key not in self.options:
            if default is _REQUIRED:
                raise ValidationError(field, None, f"this channel needs option {key}")
            return default
        value = self.options[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise ValidationError(field, value, f"expected {kind.__name__}")
        return value

    def only(self, *known: str) -> None:
        """Refuse options other than *known* (typos should not pass silently)."""
        for key in self.options:
            if key not in known:
                raise ValidationError(
                    f"channels.{self.name}.{key}",
                    self.options[key],
                    f"unknown option; this channel takes {', '.join(sorted(known)) or 'none'}",
                )


#: Builds a channel from its configuration and its resolved secrets.
ChannelFactory = Callable[[ChannelConfig, ChannelSecrets], Channel]


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(init=False)
class ChannelSpec(NotificationChannelSpec):
    """A kind of channel, contributed by name (built-ins and plugins alike).

    It is the notifier's `NotificationChannelSpec`, so a plugin returns it from
    ``relationship_core_notification_channels``: its ``send`` is the factory.

    Attributes:
        name: The ``type`` that configuration uses (``"smtp"``, ``"webhook"``).
        factory: ``factory(config, secrets) -> Channel``. Import
            heavy libraries inside it, so that installing a plugin costs nothing.
        description: One line for listings and error messages.
        secret_options: Options that must be given as secret references
            (``{"env": ...}``); a plain value there is refused, never echoed.
    """

    secret_options: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def __init__(
        self,
        name: str,
        factory: ChannelFactory,
        description: str = "",
        secret_options: Iterable[str] = frozenset(),
    ) -> None:
        self.__attrs_init__(
            name=name, send=factory, description=description, secret_options=secret_options
        )

    @property
    def factory(self) -> ChannelFactory:
        """Builds the channel: ``factory(config, secrets)``."""
        return self.send
