"""Clocks: the domain never reads the time itself; it is handed a clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from relationship_core._domain.timeutil import require_aware
from relationship_core.exceptions import ValidationError

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, time zone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant from the operating system, in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to: for tests, demos and back-fills.

    Examples:
        >>> from datetime import datetime, timedelta, UTC
        >>> clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
        >>> clock.advance(timedelta(days=1)).isoformat()
        '2026-01-02T09:00:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = require_aware("start", start).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant the clock was last set or advanced to."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by *delta* (never backward) and return the new instant."""
        if delta < timedelta(0):
            raise ValidationError("delta", delta, "a clock cannot move backward")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to *instant*, which must not be earlier than now."""
        instant = require_aware("instant", instant).astimezone(UTC)
        with self._lock:
            if instant < self._now:
                raise ValidationError(
                    "instant", instant, f"a clock cannot move backward from {self._now.isoformat()}"
                )
            self._now = instant
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()!r})"
