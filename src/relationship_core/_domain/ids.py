"""Identifiers that sort by creation time (ULIDs)."""

from __future__ import annotations

import os
import threading

from relationship_core._domain.clock import Clock, SystemClock

__all__ = ["IdGenerator", "new_id"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


#: Every pair of Crockford characters, by the 10 bits it encodes: 13 look-ups make an id.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = tuple(range(120, -1, -10))


def _encode(value: int) -> str:
    """The 26 Crockford base32 characters of a 130-bit *value*, most significant first."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _SHIFTS])


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
