"""When to try a failed delivery again: a fixed schedule or exponential backoff, with jitter."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["STANDARD_WEBHOOKS_SCHEDULE", "RetrySchedule"]


def _delays(value: Sequence[timedelta | float | int]) -> tuple[timedelta, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise ValidationError("delays", value, "expected a non-empty sequence of delays")
    result = tuple(v if isinstance(v, timedelta) else timedelta(seconds=v) for v in value)
    if any(d < timedelta(0) for d in result):
        raise ValidationError("delays", value, "delays cannot be negative")
    return result


def _jitter(value: float) -> float:
    if not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValidationError("jitter", value, "expected a fraction in [0, 1)")
    return float(value)


@attrs.frozen
class RetrySchedule:
    """The delays before each attempt of one message, with jitter.

    ``delays[0]`` is the wait before the first attempt, ``delays[n]`` the wait
    after the *n*-th failure; past the end the message is given up (the
    runner dead-letters it). Each delay is multiplied by a factor drawn
    uniformly from ``[1 - jitter, 1 + jitter]`` so that endpoints coming back
    from an outage are not hit by every retry at once. The draw is a
    function of ``(seed, key, attempt)``: the same message gets the same
    delays (reproducible, testable), different messages spread out. Without
    a seed the draw is random.

    Attributes:
        delays: Waits before attempt 1, 2, ...; the default is the Standard
            Webhooks example: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
        jitter: Fraction of each delay to vary by (0.1 = plus or minus 10 %).
        seed: Makes the jitter deterministic.

    Examples:
        >>> s = RetrySchedule(jitter=0)
        >>> s.attempts, s.delay(1), s.delay(2), s.delay(9)
        (8, datetime.timedelta(0), datetime.timedelta(seconds=5), None)
        >>> seeded = RetrySchedule(seed=7)
        >>> seeded.delay(3, key="k") == seeded.delay(3, key="k")
        True
    """

    delays: tuple[timedelta, ...] = attrs.field(
        factory=lambda: STANDARD_WEBHOOKS_SCHEDULE, converter=_delays
    )
    jitter: float = attrs.field(default=0.1, converter=_jitter)
    seed: int | str | None = None

    @classmethod
    def exponential(
        cls,
        *,
        first: timedelta = timedelta(seconds=5),
        factor: float = 2.0,
        cap: timedelta = timedelta(hours=10),
        attempts: int = 8,
        jitter: float = 0.1,
        seed: int | str | None = None,
    ) -> RetrySchedule:
        """Attempt 1 immediately, then *first*, *first* x *factor*, ... capped at *cap*."""
        if not isinstance(attempts, int) or attempts < 1:
            raise ValidationError("attempts", attempts, "expected a positive integer")
        if factor < 1:
            raise ValidationError("factor", factor, "expected a factor of at least 1")
        waits = [timedelta(0), *(min(cap, first * factor**n) for n in range(attempts - 1))]
        return cls(tuple(waits), jitter=jitter, seed=seed)

    @property
    def attempts(self) -> int:
        """How many attempts a message gets in all."""
        return len(self.delays)

    def delay(self, attempt: int, *, key: str = "") -> timedelta | None:
        """The wait before *attempt* (1-based) of the message *key*; ``None``: give up."""
        if not isinstance(attempt, int) or attempt < 1:
            raise ValidationError("attempt", attempt, "attempts count from 1")
        if attempt > len(self.delays):
            return None
        base = self.delays[attempt - 1]
        if not self.jitter or not base:
            return base
        rng = (
            random.Random(f"{self.seed}:{key}:{attempt}")  # noqa: S311 - jitter, not crypto
            if self.seed is not None
            else random.SystemRandom()
        )
        factor = rng.uniform(1 - self.jitter, 1 + self.jitter)
        return timedelta(microseconds=round(base / timedelta(microseconds=1) * factor))

    def next_attempt_at(self, attempt: int, now: datetime, *, key: str = "") -> datetime | None:
        """When *attempt* (1-based) of *key* is due, counting from *now*; ``None``: give up."""
        wait = self.delay(attempt, key=key)
        return None if wait is None else now + wait


#: The example schedule of the Standard Webhooks specification.
STANDARD_WEBHOOKS_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
