"""Identifiers that sort by creation time (ULIDs)."""

from __future__ import annotations

import os
import threading

from relationship_core._domain.clock import Clock, SystemClock

__all__ = ["IdGenerator", "new_id"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class IdGenerator:
    """Make 26-character ULIDs from a clock: later ids sort after earlier ones.

    Within one millisecond the random part is incremented, so ids from one
    generator are strictly increasing even when the clock stands still
    (as a `ManualClock` does).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> str:
        """A new id."""
        millis = int(self._clock.now().timestamp() * 1000)
        with self._lock:
            candidate = (millis << _RANDOM_BITS) | int.from_bytes(os.urandom(10), "big")
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
        return _encode(candidate)


_default = IdGenerator()


def new_id() -> str:
    """A new ULID from the system clock."""
    return _default()
