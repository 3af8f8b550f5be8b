"""A feature plugin with job handlers, for the runner and worker tests (also loaded by subprocesses).

Every handler's store effect is adding the person ``done-<payload n>``: a
second run would be a duplicate id, so "the person exists once" means "the
store effect happened exactly once". External effects are lines appended to
the file ``payload["log"]`` (when given), with the job's idempotency key.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import relationship_core as rc
from relationship_core.plugins import Job, JobHandlerSpec, NewJob, hookimpl

#: Called by the ``hook`` queue's handler in the middle of its run (tests set it).
HOOKS: dict[str, Callable[[Job, rc.UnitOfWork], None]] = {}


def _effect(job: Job, uow: rc.UnitOfWork) -> None:
    uow.add(rc.Person(id=f"done-{job.payload['n']}", name=f"Job {job.payload['n']}"))
    log = job.payload.get("log")
    if log:
        with Path(log).open("a", encoding="utf-8") as fh:
            fh.write(f"{job.idempotency_key or job.id}\n")


def welcome(job: Job, uow: rc.UnitOfWork) -> None:
    """Adds the person."""
    _effect(job, uow)


def flaky(job: Job, uow: rc.UnitOfWork) -> None:
    """Fails its first ``payload["fail"]`` attempts, then adds the person."""
    if job.attempts <= job.payload.get("fail", 99):
        raise ConnectionError(f"smtp down (attempt {job.attempts})")
    _effect(job, uow)


def slow(job: Job, uow: rc.UnitOfWork) -> None:
    """Sleeps ``payload["seconds"]`` (real time), then adds the person.

    With ``payload["trace"]`` it appends ``start <job> <pid> <fence>`` to that file first.
    """
    marker = job.payload.get("started")
    if marker:
        Path(marker).write_text(job.id, encoding="utf-8")
    trace = job.payload.get("trace")
    if trace:
        with Path(trace).open("a", encoding="utf-8") as fh:
            fh.write(f"start {job.id} {os.getpid()} {job.fence}\n")
    time.sleep(job.payload.get("seconds", 1.0))
    _effect(job, uow)


def hook(job: Job, uow: rc.UnitOfWork) -> None:
    """Adds the person, then calls ``HOOKS[job.payload['hook']]`` before committing."""
    _effect(job, uow)
    HOOKS[job.payload["hook"]](job, uow)


def chain(job: Job, uow: rc.UnitOfWork) -> None:
    """Adds the person and enqueues the next link (without a group: it inherits the job's)."""
    _effect(job, uow)
    uow.enqueue(NewJob("welcome", {"n": f"{job.payload['n']}-next"}, job.due_at))


def cancel(job: Job, uow: rc.UnitOfWork) -> None:
    """Adds the person and cancels the group ``payload["group"]``."""
    _effect(job, uow)
    uow.cancel_group(job.payload["group"])


class JobsFeature:
    """Contributes the handlers above."""

    @hookimpl
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:
        return [
            JobHandlerSpec(name, handler)
            for name, handler in {
                "welcome": welcome,
                "flaky": flaky,
                "slow": slow,
                "hook": hook,
                "chain": chain,
                "cancel": cancel,
            }.items()
        ]


plugin = JobsFeature()


def manager() -> Any:
    """A plugin manager with the built-ins and this feature."""
    pm = rc.plugins.PluginManager(entry_points=False, blocked=()).load()
    pm.register(plugin, name="jobs-test")
    return pm
