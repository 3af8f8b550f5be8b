"""The ``worker`` and ``jobs`` commands: run a store's jobs, and look after its queues."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.runner import JobResult

__all__ = ["add_job_commands"]

log = logging.getLogger("relationship_core.jobs")


def _open(args: argparse.Namespace) -> CRM:
    from relationship_core._app.facade import open_store
    from relationship_core._plugins.manager import get_plugin_manager
    from relationship_core.exceptions import PluginLoadError

    manager = get_plugin_manager()
    for ref in args.plugin or ():
        module, _, attr = ref.partition(":")
        try:
            plugin = getattr(importlib.import_module(module), attr) if attr else None
            plugin = plugin if plugin is not None else importlib.import_module(module)
        except (ImportError, AttributeError) as exc:
            raise PluginLoadError(ref, exc) from exc
        manager.register(plugin, name=ref)
    return open_store(args.url)


def _queues(text: str | None) -> list[str] | None:
    return None if text is None else [q.strip() for q in text.split(",") if q.strip()]


class _Progress:
    """Counts outcomes; redraws one status line when stdout is a terminal."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.live = sys.stdout.isatty()

    def __call__(self, result: JobResult) -> None:
        with self.lock:
            self.counts[result.outcome] += 1
            if self.live:
                sys.stdout.write(f"\r{self.line()} (last: {result.queue} {result.outcome})\x1b[K")
                sys.stdout.flush()

    def line(self) -> str:
        c = self.counts
        return f"{c['done']} done, {c['retried']} retried, {c['dead']} dead, {c['lost']} lost"


def _worker(args: argparse.Namespace) -> int:
    from relationship_core._app.runner import Runner
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the job in hand, then stopping", signum)
        stop.set()

    try:
        crm = _open(args)
    except RelationshipCoreError as error:
        print(f"relationship-core worker: {error}", file=sys.stderr)
        return 2
    try:
        runner = Runner(crm, queues=_queues(args.queues), lease=timedelta(seconds=args.lease))
        print(
            f"worker {runner.worker} on {redact(args.url)}: queues {', '.join(runner.queues)}",
            flush=True,
        )
        progress = _Progress()
        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            if args.once:
                threads = [
                    threading.Thread(target=runner.drain, kwargs={"on_result": progress})
                    for _ in range(args.concurrency)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    while thread.is_alive():
                        thread.join(0.2)
            else:
                runner.run(stop, concurrency=args.concurrency, poll=args.poll, on_result=progress)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if progress.live:
            print()
        print(f"worker stopped: {progress.line()}")
    except RelationshipCoreError as error:
        print(f"relationship-core worker: {error}", file=sys.stderr)
        return 2
    finally:
        crm.close()
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    try:
        crm = _open(args)
    except RelationshipCoreError as error:
        print(f"relationship-core jobs: {error}", file=sys.stderr)
        return 2
    try:
        print(f"Store: {redact(args.url)}")
        queue = crm.jobs
        for job_id in args.retry or ():
            print(f"requeued {queue.requeue(job_id).id}")
        for job_id in args.discard or ():
            print(f"discarded {queue.discard(job_id).id}")
        if args.retry_all:
            count = 0
            while dead := queue.list_jobs(states=["dead"], limit=500):
                for job in dead:
                    queue.requeue(job.id)
                    count += 1
            print(f"requeued {count} dead letter{'s' * (count != 1)}")
        _report(crm)
    except RelationshipCoreError as error:
        print(f"relationship-core jobs: {error}", file=sys.stderr)
        return 2
    finally:
        crm.close()
    return 0


def _report(crm: CRM) -> None:
    stats = crm.jobs.stats()
    if not stats:
        print("No jobs.")
        return
    width = max(5, *(len(q) for q in stats))
    print(f"{'queue':<{width}}  pending    due  claimed   dead  lag")
    for s in stats.values():
        lag = "-" if s.lag is None else str(s.lag).split(".")[0]
        print(f"{s.queue:<{width}}  {s.pending:>7}  {s.due:>5}  {s.claimed:>7}  {s.dead:>5}  {lag}")
    due = [s for s in stats.values() if s.oldest_due is not None]
    if due:
        oldest = min(due, key=lambda s: cast(datetime, s.oldest_due))
        since = cast(datetime, oldest.oldest_due)
        print(f"Oldest due job: queue {oldest.queue}, due since {since:%Y-%m-%d %H:%M:%S} UTC")
    dead = crm.jobs.list_jobs(states=["dead"], limit=50)
    print(f"Dead letters: {sum(s.dead for s in stats.values())}")
    for job in dead:
        print(
            f"  {job.id}  {job.queue}  attempts {job.attempts}/{job.max_attempts}  {job.last_error}"
        )
    if dead:
        print("  (relationship-core jobs URL --retry ID | --retry-all | --discard ID)")


def add_job_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` and ``jobs`` to the command's subparsers."""
    worker = commands.add_parser(
        "worker",
        help="run the store's jobs with the handlers the plugins registered",
        description="Claim due jobs and run them until SIGTERM or SIGINT (the job in hand is "
        "finished first), or with --once until none is due. Each job is logged (job id, "
        "queue, attempt, outcome, duration).",
    )
    worker.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db or postgresql://…")
    worker.add_argument("--once", action="store_true", help="run what is due, then exit")
    worker.add_argument("--queues", metavar="A,B", help="only these queues (default: all)")
    worker.add_argument(
        "--concurrency", type=_positive_int, default=1, metavar="N", help="threads (default 1)"
    )
    worker.add_argument(
        "--lease",
        type=_positive_float,
        default=300.0,
        metavar="SECONDS",
        help="claim lease, renewed while a job runs (default 300)",
    )
    worker.add_argument(
        "--poll",
        type=_positive_float,
        default=1.0,
        metavar="SECONDS",
        help="wait when nothing is due (default 1)",
    )
    _plugin_option(worker)
    worker.set_defaults(run=_worker)
    jobs = commands.add_parser(
        "jobs",
        help="queue depth and lag, the oldest due job and dead letters; retry or discard them",
        description="Show each queue's depth and lag, the oldest due job and the dead letters; "
        "--retry/--retry-all give dead letters new attempts, --discard throws one away.",
    )
    jobs.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db or postgresql://…")
    jobs.add_argument("--retry", action="append", metavar="ID", help="requeue this dead letter")
    jobs.add_argument("--retry-all", action="store_true", help="requeue every dead letter")
    jobs.add_argument("--discard", action="append", metavar="ID", help="discard this dead letter")
    _plugin_option(jobs)
    jobs.set_defaults(run=_jobs)


def _plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        metavar="MODULE:ATTR",
        help="also load this plugin (one not installed as a package); repeatable",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give more than 0 seconds")
    return value
