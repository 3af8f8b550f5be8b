"""The batched billing path: many retainers in one unit of work.

`bill_batch` bills a batch of retainers in ONE unit of work: the retainers
are read together (one ``get_many``), each is billed exactly as the
one-at-a-time path bills it (`relationship_core._app.billing.run.bill_in`:
same idempotency keys, same lines), and the documents are numbered from the
business's sequences read once for the batch, so the batch draws a block of
consecutive numbers and writes the sequence once. Hence the same guarantees:

* **idempotent**: a billed retainer's ``next_period`` marker is advanced in
  the same commit as its documents, so a rerun bills nothing twice;
* **crash-safe**: a crash before the commit leaves nothing of the batch; the
  next run recomputes the same documents and the same numbers;
* **gapless**: numbers are taken only in committed units of work; a batch
  that is rolled back gives its block back whole;
* **races**: a concurrent writer on any retainer of the batch, or on the
  sequence, makes the commit fail with ``ConflictError``; the batch is
  re-read and retried (a bounded number of times).

**A retainer that fails is taken out of its batch.** When billing one
retainer raises a domain or data error (a record that cannot be read, a
``ValidationError``...), the unit of work is abandoned, the retainer is
reported as a `BillingFailure` and the batch is retried without it. When the
failure cannot be pinned on one retainer (the batch keeps losing races, or
the commit itself refuses the batch), each of its retainers is billed on its
own, so the culprit alone fails and the others are billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial

import attrs

from relationship_core._app.billing.context import BillingContext
from relationship_core._app.billing.retainer_billing import BillingFailure, Document, bill_in
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.retainer import Retainer
from relationship_core.exceptions import (
    BackendUnavailableError,
    ConflictError,
    RelationshipCoreError,
)

__all__ = ["BatchResult", "bill_batch"]


class _RetainerFailedError(Exception):
    """One retainer of the batch failed: abandon the unit of work, retry without it."""

    def __init__(self, retainer_id: str, error: RelationshipCoreError) -> None:
        super().__init__(retainer_id)
        self.retainer_id = retainer_id
        self.error = error


@attrs.frozen
class BatchResult:
    """What `bill_batch` did.

    Attributes:
        billed: ``(retainer id, documents issued)`` for each retainer billed
            (documents may be empty: nothing was due), in id order.
        failures: The retainers taken out of the batch, with the reason.
        retries: Units of work retried after a conflict.
        batched: Whether the batch was committed as one unit of work
            (``False``: its retainers had to be billed one by one).
    """

    billed: tuple[tuple[str, tuple[Document, ...]], ...]
    failures: tuple[BillingFailure, ...]
    retries: int
    batched: bool = True


def _work(
    ctx: BillingContext, ids: Sequence[str], on: date | None, uow: UnitOfWork
) -> list[tuple[str, list[Document]]]:
    at = ctx.now()
    # Numbers follow the business's date; each account's documents its own local date.
    number_day = on if on is not None else ctx.today(at)
    try:  # read the batch at once; a bad record is found (and named) one by one below
        uow.repository(Retainer).get_many(list(ids))
    except (BackendUnavailableError, ConflictError):
        raise
    except RelationshipCoreError:
        pass
    out: list[tuple[str, list[Document]]] = []
    for retainer_id in ids:
        try:
            documents = bill_in(ctx, retainer_id, uow, on=on, at=at, number_day=number_day)
        except (BackendUnavailableError, ConflictError):
            raise
        except RelationshipCoreError as error:
            raise _RetainerFailedError(retainer_id, error) from error
        out.append((retainer_id, documents))
    return out


def _one_by_one(ctx: BillingContext, ids: Sequence[str], on: date | None) -> BatchResult:
    """Bill each retainer in its own unit of work; a failure is that retainer's alone."""
    billed: list[tuple[str, tuple[Document, ...]]] = []
    failures: list[BillingFailure] = []
    retries = 0
    for retainer_id in ids:
        try:
            [(_, documents)], retried = ctx.attempt(partial(_work, ctx, [retainer_id], on))
        except _RetainerFailedError as failed:
            error = failed.error
            failures.append(
                BillingFailure("retainer", retainer_id, 1, str(error), type(error).__name__)
            )
            continue
        except ConflictError as error:
            failures.append(BillingFailure("retainer", retainer_id, ctx.max_attempts, str(error)))
            retries += ctx.max_attempts - 1
            continue
        except BackendUnavailableError:
            raise
        except RelationshipCoreError as error:  # refused at commit: this one's data
            failures.append(
                BillingFailure("retainer", retainer_id, 1, str(error), type(error).__name__)
            )
            continue
        billed.append((retainer_id, tuple(documents)))
        retries += retried
    return BatchResult(tuple(billed), tuple(failures), retries, batched=False)


def bill_batch(ctx: BillingContext, ids: Sequence[str], on: date | None) -> BatchResult:
    """Bill the retainers *ids* through *on* in one unit of work (see the module's docs).

    Raises ``BackendUnavailableError`` if the store goes away (nothing of the
    batch is then committed); every other failure is reported in the result.
    """
    pending = list(ids)
    failures: list[BillingFailure] = []
    retries = 0
    while pending:
        try:
            done, retried = ctx.attempt(partial(_work, ctx, pending, on))
        except _RetainerFailedError as failed:  # take it out, retry the rest
            error = failed.error
            failures.append(
                BillingFailure("retainer", failed.retainer_id, 1, str(error), type(error).__name__)
            )
            pending.remove(failed.retainer_id)
            continue
        except BackendUnavailableError:
            raise
        except RelationshipCoreError as error:  # lost every race, or the commit refused it
            if isinstance(error, ConflictError):
                retries += ctx.max_attempts - 1
            alone = _one_by_one(ctx, pending, on)
            return BatchResult(
                alone.billed, (*failures, *alone.failures), retries + alone.retries, batched=False
            )
        billed = tuple((rid, tuple(documents)) for rid, documents in done)
        return BatchResult(billed, tuple(failures), retries + retried)
    return BatchResult((), tuple(failures), retries)
