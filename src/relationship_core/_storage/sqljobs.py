"""The job queue of the SQL store: enqueue, claim with a lease, complete, retry.

A claim reads due jobs with the dialect's ``claim_lock`` suffix
(PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so workers on many machines never
claim one job twice; SQLite: nothing, the transaction holds the write lock).
Completing or retrying first re-reads the job with ``row_lock`` to prove the
lease is still held.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from relationship_core._storage.contract import Job, NewJob
from relationship_core._storage.dialect import Conn, SQLDialect
from relationship_core._storage.memory import lease_conflict
from relationship_core._storage.schema import Schema, check_claim, job_from_row

__all__ = ["JOB_COLUMNS", "SQLJobs"]

JOB_COLUMNS = (
    "id",
    "queue",
    "payload",
    "due_at",
    "state",
    "attempts",
    "max_attempts",
    "idempotency_key",
    "lease_owner",
    "lease_expires_at",
    "last_error",
)
_COLUMNS = ", ".join(JOB_COLUMNS)


class SQLJobs:
    """Job-queue half of `relationship_core._storage.sqlstore.SQLStore`."""

    dialect: SQLDialect
    schema: Schema

    def __init__(self) -> None:
        d = self.dialect
        ph = d.ph
        prefix, suffix = d.insert
        self._job_select = f"SELECT {_COLUMNS} FROM rc_jobs WHERE id = {ph}"
        self._job_insert = (
            f"{prefix} rc_jobs (id, queue, payload, due_at, state, attempts, max_attempts, "
            f"idempotency_key) VALUES ({ph}, {ph}, {ph}, {ph}, 'pending', 0, {ph}, {ph}){suffix}"
        )
        self._job_by_key = f"SELECT id FROM rc_jobs WHERE idempotency_key = {ph}"
        self._claim = (
            f"SELECT {_COLUMNS} FROM rc_jobs WHERE "
            f"((state = 'pending' AND due_at <= {ph}) OR "
            f"(state = 'claimed' AND lease_expires_at <= {ph}))"
            "{queues} ORDER BY due_at, id LIMIT " + ph + d.claim_lock
        )
        self._claimed = (
            "UPDATE rc_jobs SET state = 'claimed', attempts = attempts + 1, "
            f"lease_owner = {ph}, lease_expires_at = {ph} WHERE id = {ph}"
        )
        self._settle = (
            f"UPDATE rc_jobs SET state = {ph}, due_at = COALESCE({ph}, due_at), "
            f"lease_owner = NULL, lease_expires_at = NULL, "
            f"last_error = COALESCE({ph}, last_error) WHERE id = {ph}"
        )

    def _reader(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError  # pragma: no cover

    def _writer(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError  # pragma: no cover

    def _time(self, value: datetime) -> Any:
        encode = self.dialect.encode
        return value if encode is None else encode("datetime", value)

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        with self._reader() as conn:
            return self._get_job(conn, job_id)

    def _get_job(self, conn: Conn, job_id: str, *, lock: bool = False) -> Job | None:
        statement = self._job_select + (self.dialect.row_lock if lock else "")
        row = conn.execute(statement, (job_id,)).fetchone()
        return None if row is None else job_from_row(dict(zip(JOB_COLUMNS, row, strict=True)))

    def _enqueue(self, conn: Conn, job: NewJob, payload: str) -> str | None:
        """Insert *job*; the id of the job holding its key, or ``None`` if its id is taken."""
        row = (job.id, job.queue, payload, self._time(job.due_at), job.max_attempts)
        if conn.execute(self._job_insert, (*row, job.idempotency_key)).rowcount == 1:
            return job.id
        if job.idempotency_key is None:
            return None
        existing = conn.execute(self._job_by_key, (job.idempotency_key,)).fetchone()
        return None if existing is None else str(existing[0])

    def claim_jobs(
        self,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease up to *limit* due jobs to *worker*."""
        now = check_claim(worker, now, lease, limit)
        until = now + lease
        at = self._time(now)
        queue_sql, qparams = "", list[Any]()
        if queues is not None:
            cond, qparams = self.dialect.any_of("queue", list(queues))
            queue_sql = f" AND {cond}"
        statement = self._claim.replace("{queues}", queue_sql)
        claimed: list[Job] = []
        with self._writer() as conn:
            while len(claimed) < limit:
                rows = conn.execute(statement, [at, at, *qparams, limit - len(claimed)])
                jobs = [job_from_row(dict(zip(JOB_COLUMNS, r, strict=True))) for r in rows]
                if not jobs:
                    break
                for job in jobs:
                    if job.state == "claimed" and job.attempts >= job.max_attempts:
                        conn.execute(
                            self._settle,
                            ("dead", None, "lease expired on the final attempt", job.id),
                        )
                        continue
                    conn.execute(self._claimed, (worker, self._time(until), job.id))
                    claimed.append(
                        Job(
                            job.id,
                            job.queue,
                            job.payload,
                            job.due_at,
                            "claimed",
                            job.attempts + 1,
                            job.max_attempts,
                            job.idempotency_key,
                            worker,
                            until,
                            job.last_error,
                        )
                    )
        return claimed

    def _held(self, conn: Conn, job: Job) -> Job:
        current = self._get_job(conn, job.id, lock=True)
        if (
            current is None
            or current.state != "claimed"
            or current.lease_owner != job.lease_owner
            or current.attempts != job.attempts
        ):
            raise lease_conflict(job, current)
        return current

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done."""
        with self._writer() as conn:
            self._held(conn, job)
            conn.execute(self._settle, ("done", None, None, job.id))

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back for a later attempt, or dead-letter it."""
        due, error = self.schema.check_retry(due_at, error)
        with self._writer() as conn:
            current = self._held(conn, job)
            dead = current.attempts >= current.max_attempts
            conn.execute(
                self._settle,
                ("dead" if dead else "pending", None if dead else self._time(due), error, job.id),
            )
            result = self._get_job(conn, job.id)
        assert result is not None  # noqa: S101 - we hold the row (or the write lock)
        return result
