"""The job runner: claims due jobs, runs their handlers, completes them in the same transaction.

Each claimed job runs as ``handler(job, uow)`` in a unit of work of its own,
and the job is completed INSIDE that unit of work's transaction. So what the
handler does in the store happens exactly once: a worker that lost its lease
(the job lapsed and another worker took it, or its group was cancelled) gets
``LeaseLostError`` at commit and writes nothing. What it does outside the
store (an e-mail, a webhook) happens at least once, and must be made
idempotent with the job's key: ``job.idempotency_key or job.id``.

A failing handler is retried after `Backoff`'s delay until the job's
``max_attempts``, then dead-lettered with its last error. While a handler
runs, the runner's heartbeat thread (one per runner, see
`relationship_core._app.heartbeat`) renews the lease every third of it.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import attrs

from relationship_core._app.heartbeat import Heartbeat
from relationship_core._app.repository import require_store
from relationship_core._app.schedules import on_job_complete
from relationship_core._domain.actor import Actor, ActorKind
from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._plugins.specs import JobHandlerSpec
from relationship_core._storage.contract import Job
from relationship_core._storage.protocols import require_job_control
from relationship_core.exceptions import LeaseLostError, StorageError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM

__all__ = ["Backoff", "JobResult", "Outcome", "RetryAfter", "Runner"]

log = logging.getLogger("relationship_core.jobs")

#: What became of a job the runner ran.
Outcome = Literal["done", "retried", "dead", "lost"]
_MAX_ERROR = 2000


def _positive(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(attribute.name, value, "a positive timedelta")


@attrs.frozen
class Backoff:
    """When a failed job runs again: ``base * factor ** (attempt - 1)``, capped, with jitter.

    Examples:
        >>> b = Backoff(base=timedelta(seconds=10), jitter=0.0)
        >>> [b.delay(n).total_seconds() for n in (1, 2, 3)]
        [10.0, 20.0, 40.0]

    Attributes:
        base: The delay after the first failed attempt.
        factor: How much each further attempt multiplies it (>= 1).
        cap: The longest delay.
        jitter: Spread, as a fraction: the delay is scaled by a random factor in
            ``[1 - jitter, 1 + jitter]`` so failed jobs do not all return at once.
    """

    base: timedelta = attrs.field(default=timedelta(seconds=10), validator=_positive)
    factor: float = 2.0
    cap: timedelta = attrs.field(default=timedelta(hours=1), validator=_positive)
    jitter: float = 0.1

    def __attrs_post_init__(self) -> None:
        if isinstance(self.factor, bool) or not isinstance(self.factor, int | float):
            raise ValidationError("factor", self.factor, "a number >= 1")
        if not self.factor >= 1:
            raise ValidationError("factor", self.factor, "a number >= 1")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int | float):
            raise ValidationError("jitter", self.jitter, "a fraction from 0 to 1")
        if not 0 <= self.jitter <= 1:
            raise ValidationError("jitter", self.jitter, "a fraction from 0 to 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """The delay after failed attempt number *attempt* (1 for the first)."""
        exponent = max(attempt, 1) - 1
        seconds = self.cap.total_seconds()
        if exponent < 64:  # beyond, any factor > 1 has long passed the cap
            seconds = min(self.base.total_seconds() * self.factor**exponent, seconds)
        if self.jitter:
            seconds *= 1 + (rng or random).uniform(-self.jitter, self.jitter)
        return timedelta(seconds=seconds)


class RetryAfter(Exception):  # noqa: N818 - an instruction to the runner, not an error kind
    """Raised by a handler to say when its job runs again (its own schedule, not the `Backoff`).

    The job is retried after *delay* (or dead-lettered after its
    ``max_attempts``, as any failure) with *reason* as its last error.
    """

    def __init__(self, delay: timedelta, reason: str) -> None:
        if not isinstance(delay, timedelta) or delay < timedelta(0):
            raise ValidationError("delay", delay, "a timedelta >= 0")
        if not isinstance(reason, str):
            raise ValidationError("reason", reason, "text saying why, kept as the last error")
        super().__init__(reason)
        self.delay = delay


@attrs.frozen
class JobResult:
    """One job the runner ran.

    Attributes:
        job_id: The job.
        queue: Its queue.
        attempt: Which attempt this was (1 for the first).
        outcome: ``done``, ``retried``, ``dead`` (dead-lettered) or ``lost``
            (the lease was lost: another worker has the job, or it was cancelled).
        duration: How long the handler and its commit took, in seconds.
        error: What the handler raised, for ``retried`` and ``dead``.
    """

    job_id: str
    queue: str
    attempt: int
    outcome: Outcome
    duration: float
    error: str | None = None


def default_worker_id() -> str:
    """``host:pid:random``: unique per runner, readable in ``jobs`` listings."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Runner:
    """Runs the jobs of a store with the handlers its feature plugins registered.

    Examples:
        >>> import relationship_core as rc
        >>> crm = rc.open("memory://")
        >>> try:
        ...     rc.Runner(crm, queues=["nobody.handles.this"])
        ... except rc.exceptions.ValidationError as err:
        ...     print(err.field, err.value)
        queues nobody.handles.this

    Args:
        crm: The open store; its backend must declare ``job_control``.
        queues: The queues to work (default: every queue with a handler).
        worker: This worker's id (default: ``host:pid:random``).
        batch: Jobs claimed at once (1..1000).
        lease: How long a claim lasts before another worker may take the job;
            renewed every third of it while the handler runs.
        backoff: The retry schedule.
        clock: Where "now" comes from (default: the CRM's). A `SystemClock`
            defers to the store's own clock (the PostgreSQL server's), so
            skewed workers agree; tests pass a `ManualClock` and advance it
            instead of sleeping.
        seed: Seeds the jitter, for reproducible schedules.
        heartbeat: Renew leases while handlers run (off only in tests).
        actor: Who the job's unit of work acts for (default: the system, as this worker).
    """

    def __init__(
        self,
        crm: CRM,
        *,
        queues: Sequence[str] | None = None,
        worker: str | None = None,
        batch: int = 1,
        lease: timedelta = timedelta(minutes=5),
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
        heartbeat: bool = True,
        actor: Actor | None = None,
    ) -> None:
        require_store("crm", crm)
        self.crm = crm
        self.backend = require_job_control(crm.backend)
        handlers = crm.features.job_handlers if crm.features is not None else None
        known = handlers.names() if handlers is not None else []
        if isinstance(queues, str):
            raise ValidationError("queues", queues, "a list of queue names, e.g. ['email']")
        wanted = list(known if queues is None else queues)
        if not wanted:
            raise ValidationError(
                "queues",
                [],
                "no job handlers are registered; install or register a feature plugin "
                "contributing JobHandlerSpec(queue, handler)",
            )
        self.handlers: dict[str, JobHandlerSpec] = {}
        for queue in wanted:
            if handlers is None or queue not in handlers:
                raise ValidationError(
                    "queues",
                    queue,
                    f"no job handler is registered for it; registered: {', '.join(known) or '-'}",
                )
            self.handlers[queue] = handlers.get(queue)
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 1000:
            raise ValidationError("batch", batch, "an int from 1 to 1000")
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            raise ValidationError("lease", lease, "a positive timedelta")
        self.queues = wanted
        self.worker = worker or default_worker_id()
        self.batch = batch
        self.lease = lease
        self.backoff = backoff or Backoff()
        chosen = clock if clock is not None else crm.clock
        self.clock: Clock | None = None if isinstance(chosen, SystemClock) else chosen
        self.heartbeat = heartbeat
        self.actor = actor or Actor(ActorKind.SYSTEM, self.worker)
        self._rng = random.Random(seed)  # noqa: S311 - jitter, not secrets
        self._rng_lock = threading.Lock()
        # One thread renews the leases of every job this runner's handlers hold.
        self._beats = Heartbeat(
            lambda job: self.backend.renew_lease(job, now=self._now(), lease=self.lease),
            self.lease.total_seconds() / 3,
        )

    def __repr__(self) -> str:
        return f"Runner(worker={self.worker!r}, queues={self.queues!r}, batch={self.batch})"

    def _now(self) -> datetime | None:
        return None if self.clock is None else self.clock.now()

    # -- one job ---------------------------------------------------------------------

    def claim(self) -> list[Job]:
        """Lease up to `batch` due jobs of `queues` to this worker."""
        return self.backend.claim_jobs(
            worker=self.worker,
            now=self._now(),
            lease=self.lease,
            limit=self.batch,
            queues=self.queues,
        )

    def run_job(self, job: Job) -> JobResult:
        """Run one claimed job: handler and completion in one unit of work, else retry."""
        spec = self.handlers[job.queue]
        started = time.monotonic()
        error: str | None = None
        try:
            with (
                self._heartbeat(job),
                self.crm.unit_of_work(self.actor, causation_id=job.id) as uow,
            ):
                uow.complete_job(job)
                spec.handler(job, uow)
                on_job_complete(job, uow)  # a schedule's next occurrence, in this transaction
            outcome: Outcome = "done"
        except LeaseLostError as exc:
            outcome, error = "lost", str(exc)
        except Exception as exc:
            chosen = exc.delay if isinstance(exc, RetryAfter) else None
            error = (str(exc) if chosen is not None else f"{type(exc).__name__}: {exc}")[
                :_MAX_ERROR
            ]
            outcome = self._retry(job, error, time.monotonic() - started, chosen)
        result = JobResult(
            job.id, job.queue, job.attempts, outcome, time.monotonic() - started, error
        )
        self._log(result)
        return result

    def _retry(
        self, job: Job, error: str, elapsed: float, delay: timedelta | None = None
    ) -> Outcome:
        if delay is None:
            with self._rng_lock:
                delay = self.backoff.delay(job.attempts, self._rng)
        if self.clock is not None:
            due = self.clock.now() + delay
        elif job.lease_expires_at is not None:
            # The store's time at the claim plus what has passed here: no clock skew.
            due = job.lease_expires_at - self.lease + timedelta(seconds=elapsed) + delay
        else:  # pragma: no cover - a claimed job always has a lease
            due = datetime.now(UTC) + delay
        try:
            after = self.backend.retry_job(job, due_at=due, error=error)
        except LeaseLostError:
            return "lost"
        return "dead" if after.state == "dead" else "retried"

    @contextmanager
    def _heartbeat(self, job: Job) -> Iterator[None]:
        if not self.heartbeat:
            yield
            return
        with self._beats.holding(job):
            yield

    def _log(self, r: JobResult) -> None:
        level = logging.INFO if r.outcome == "done" else logging.WARNING
        log.log(
            level,
            "job=%s queue=%s attempt=%d outcome=%s duration=%.3fs%s",
            r.job_id,
            r.queue,
            r.attempt,
            r.outcome,
            r.duration,
            f" error={r.error!r}" if r.error else "",
            extra={
                "job_id": r.job_id,
                "queue": r.queue,
                "attempt": r.attempt,
                "outcome": r.outcome,
                "duration": r.duration,
                "worker": self.worker,
            },
        )

    # -- loops -----------------------------------------------------------------------

    def run_once(self) -> list[JobResult]:
        """Claim one batch of due jobs and run them; what became of each."""
        return [self.run_job(job) for job in self.claim()]

    def drain(self, *, on_result: Callable[[JobResult], None] | None = None) -> list[JobResult]:
        """Run due jobs until none is due (retries due later are left for later)."""
        results: list[JobResult] = []
        while batch := self.claim():
            for job in batch:
                result = self.run_job(job)
                results.append(result)
                if on_result is not None:
                    on_result(result)
        return results

    def run(
        self,
        stop: threading.Event,
        *,
        concurrency: int = 1,
        poll: float = 1.0,
        on_result: Callable[[JobResult], None] | None = None,
    ) -> None:
        """Work until *stop* is set, in *concurrency* threads; each finishes the job in hand.

        (With ``batch > 1``, each thread first finishes the jobs it has claimed.)

        A thread that finds nothing due waits *poll* seconds (less if *stop* is set).
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError("concurrency", concurrency, "an int >= 1")

        def loop() -> None:
            while not stop.is_set():
                try:
                    jobs = self.claim()
                except StorageError as exc:  # the store is away: wait, then try again
                    log.warning("could not claim jobs: %s", exc)
                    stop.wait(poll)
                    continue
                if not jobs:
                    stop.wait(poll)
                for job in jobs:
                    result = self.run_job(job)
                    if on_result is not None:
                        on_result(result)

        threads = [
            threading.Thread(target=loop, name=f"worker-{n}", daemon=True)
            for n in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():  # short joins, so signal handlers run meanwhile
                thread.join(0.2)
