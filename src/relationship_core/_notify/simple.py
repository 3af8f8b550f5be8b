"""The ``log`` and ``memory`` channels: for development, tests and notebooks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    ChannelConfig,
    SuppressionList,
    suppressed_results,
)
from relationship_core._notify.message import Notification
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.secrets import ChannelSecrets
from relationship_core.exceptions import ValidationError

__all__ = ["LogChannel", "MemoryChannel"]

_LOG = logging.getLogger("relationship_core.notify")


class LogChannel:
    """Writes one log record per message (logger ``relationship_core.notify``); always delivers."""

    def __init__(
        self,
        name: str = "log",
        *,
        level: int = logging.INFO,
        suppression: SuppressionList = NO_SUPPRESSION,
        logger: logging.Logger | None = None,
    ) -> None:
        self._name = name
        self._level = level
        self._suppression = suppression
        self._logger = logger or _LOG

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        blocked = suppressed_results(self._name, batch, self._suppression)
        results: list[DeliveryResult] = []
        for index, note in enumerate(batch):
            if index in blocked:
                results.append(blocked[index])
                continue
            self._logger.log(
                self._level,
                "notification %s %s to %s: %s",
                note.idempotency_key,
                note.event_type,
                note.recipient.address or note.recipient.name or "-",
                note.subject,
            )
            results.append(DeliveryResult(note.idempotency_key, Outcome.DELIVERED))
        return results

    def __repr__(self) -> str:
        return f"LogChannel({self._name!r})"

    @classmethod
    def from_config(
        cls,
        config: ChannelConfig,
        secrets: ChannelSecrets,  # noqa: ARG003 - the factory signature
    ) -> LogChannel:
        """The ``log`` spec's factory: option ``level`` (``"INFO"``, ``"DEBUG"``...)."""
        config.only("level")
        text = config.option("level", str, "INFO")
        level = logging.getLevelNamesMapping().get(text.upper())
        if level is None:
            raise ValidationError(f"channels.{config.name}.level", text, "expected INFO, DEBUG...")
        return cls(config.name, level=level, suppression=config.suppression)


class MemoryChannel:
    """Keeps what it was asked to send in `sent`, in order: inspect it in tests and notebooks.

    Messages with the same idempotency key are kept once, as a receiver that
    drops duplicates would; `attempts` counts every call.

    Examples:
        >>> channel = MemoryChannel()
        >>> channel.sent
        []
    """

    def __init__(self, name: str = "memory", *, suppression: SuppressionList = NO_SUPPRESSION):
        self._name = name
        self._suppression = suppression
        self._lock = threading.Lock()
        self.sent: list[Notification] = []
        self.attempts = 0

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        blocked = suppressed_results(self._name, batch, self._suppression)
        results: list[DeliveryResult] = []
        with self._lock:
            self.attempts += len(batch)
            seen = {n.idempotency_key for n in self.sent}
            for index, note in enumerate(batch):
                if index in blocked:
                    results.append(blocked[index])
                    continue
                if note.idempotency_key not in seen:
                    self.sent.append(note)
                    seen.add(note.idempotency_key)
                results.append(DeliveryResult(note.idempotency_key, Outcome.DELIVERED))
        return results

    def __repr__(self) -> str:
        return f"MemoryChannel({self._name!r}, sent={len(self.sent)})"

    @classmethod
    def from_config(
        cls,
        config: ChannelConfig,
        secrets: ChannelSecrets,  # noqa: ARG003 - the factory signature
    ) -> MemoryChannel:
        """The ``memory`` spec's factory: no options."""
        config.only()
        return cls(config.name, suppression=config.suppression)
