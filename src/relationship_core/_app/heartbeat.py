"""Lease renewal for the jobs a runner's handlers hold: one thread per runner, not one per job.

`Heartbeat.holding(job)` marks *job* as in hand for the length of a ``with``
block; while it is, the lease is renewed every *interval* seconds (the first
time one interval after the block began). The thread starts with the first
job held and ends after *idle* seconds with none, so a runner left alone
keeps no thread, and starting a thread per job (a cost as large as a fast
job itself) is avoided. A renewal that finds the lease lost stops renewing
that job; it is logged unless the job's own block has ended meanwhile (its
commit settled the job, just now). Renewals are made one after another, so
a renewal waiting on a busy store delays the others by that wait: with the
default five-minute lease, renewed every 100 s, there are 200 s to spare.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from relationship_core._storage.contract import Job
from relationship_core.exceptions import LeaseLostError

__all__ = ["Heartbeat"]

log = logging.getLogger("relationship_core.jobs")


class Heartbeat:
    """Renews, with *renew*, the leases of the jobs held, every *interval* seconds."""

    def __init__(self, renew: Callable[[Job], object], interval: float, idle: float = 1.0) -> None:
        self.renew = renew
        self.interval = interval
        self.idle = idle
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._held: dict[object, tuple[Job, float]] = {}
        self._thread: threading.Thread | None = None
        # When the thread's wait ends (0: not waiting, it looks at _held before it waits again).
        # A job held whose first renewal is due later need not wake it: a thread switch
        # per job costs as much as a fast job.
        self._wake_at = 0.0

    @contextmanager
    def holding(self, job: Job) -> Iterator[None]:
        """Keep *job*'s lease renewed until the block ends."""
        if self._pid != os.getpid():  # a forked child: the parent's thread did not come along
            self._reset()
        token = object()
        with self._cond:
            due = time.monotonic() + self.interval
            self._held[token] = (job, due)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
                self._wake_at = 0.0
                self._thread.start()
            elif due < self._wake_at:
                self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._held.pop(token, None)  # a lost lease may have dropped it

    def _loop(self) -> None:
        idle_since: float | None = None
        with self._cond:
            while True:
                now = time.monotonic()
                if not self._held:
                    idle_since = now if idle_since is None else idle_since
                    if now - idle_since >= self.idle:
                        self._thread = None
                        return
                    self._wait(now, self.idle - (now - idle_since))
                    continue
                idle_since = None
                due = [(token, job) for token, (job, at) in self._held.items() if at <= now]
                if not due:
                    self._wait(now, min(at for _, at in self._held.values()) - now)
                    continue
                for token, job in due:
                    self._held[token] = (job, now + self.interval)
                self._cond.release()
                try:
                    for token, job in due:
                        self._beat(token, job)
                finally:
                    self._cond.acquire()

    def _wait(self, now: float, timeout: float) -> None:
        """Wait (holding the condition) until *timeout* has passed or a notify."""
        self._wake_at = now + timeout
        try:
            self._cond.wait(timeout)
        finally:
            self._wake_at = 0.0

    def _beat(self, token: object, job: Job) -> None:
        try:
            self.renew(job)
        except LeaseLostError:
            with self._cond:
                held = self._held.pop(token, None) is not None
            if held:  # not merely the job's own commit, just now
                log.warning("job %s: lease lost while running", job.id)
        except Exception as exc:  # a StorageError or worse: try again at the next beat
            log.warning("job %s: could not renew the lease: %s", job.id, exc)
