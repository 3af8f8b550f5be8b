"""How long the rule audit is kept: until it is pruned (`prune_audits`, ``relationship-core rules prune``).

The audit grows by one record per event evaluated (and per delayed job run).
Nothing deletes it by itself: the documented retention is **90 days**
(`DEFAULT_RETENTION`), applied by running `prune_audits` (or the command)
from a schedule or a cron job. Pruning deletes audit records older than the
cut-off in batches, each batch in one unit of work, through the store's
ordinary delete (so each deletion is in the event log, as every deletion is).
It never touches enrolments or follow-up records: those are what keep a
replayed event from acting twice, and they stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from relationship_core._rules.audit import RULE_AUDITS
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM

__all__ = ["DEFAULT_RETENTION", "prune_audits"]

#: The audit retention the guide documents: records older than this may be pruned.
DEFAULT_RETENTION = timedelta(days=90)


def prune_audits(
    crm: CRM,
    *,
    before: datetime | None = None,
    older_than: timedelta | None = None,
    batch: int = 500,
    dry_run: bool = False,
) -> int:
    """Delete the audit records of evaluations before *before* (or *older_than* ago; default 90 days).

    Returns how many were deleted (with *dry_run*, how many would be; nothing is written).

    Raises:
        ValidationError: Both or a bad cut-off, or a batch outside 1-10000.
    """
    if before is not None and older_than is not None:
        raise ValidationError("before", before, "give before or older_than, not both")
    if before is None:
        age = DEFAULT_RETENTION if older_than is None else older_than
        if not isinstance(age, timedelta) or age < timedelta(0):
            raise ValidationError("older_than", older_than, "give a positive timedelta")
        before = crm.clock.now() - age
    if not isinstance(before, datetime) or before.utcoffset() is None:
        raise ValidationError("before", before, "give an aware datetime")
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 10_000:
        raise ValidationError("batch", batch, "give a whole number, 1-10000")
    if dry_run:
        return crm.repository(RULE_AUDITS).count(("at", "lt", before))
    deleted = 0
    while True:
        with crm.unit_of_work() as uow:
            repo = uow.repository(RULE_AUDITS)
            page = repo.query(("at", "lt", before), order_by="at", limit=batch).items
            for audit in page:
                repo.delete(audit)
        deleted += len(page)
        if len(page) < batch:
            return deleted
