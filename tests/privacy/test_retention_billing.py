"""Billing run again after retention compaction: nothing new is issued, nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

import relationship_core as rc
from relationship_core._app.billing import BillingService
from relationship_core._billing.invoices import Invoice
from relationship_core._demo_story import BUSINESS, ZONE
from relationship_core._privacy import raw
from relationship_core.privacy import DEFAULT_RETENTION, apply_retention

LATER = datetime(2031, 1, 1, tzinfo=UTC)


def _books(crm: rc.CRM) -> dict[str, Any]:
    """What billing and its idempotency read: documents, their keys, retainers and orders."""
    invoices = sorted(
        (i.id, i.number, i.party_id, i.total, i.lines, i.status)
        for i in crm.repository(Invoice).iterate()
    )
    notes = sorted((n.id, n.number, n.total) for n in crm.repository("credit_note").iterate())
    retainers = sorted(repr(attrs.asdict(r)) for r in crm.repository("retainer").iterate())
    orders = sorted((o.id, o.status, o.invoice_id) for o in crm.repository("order").iterate())
    return {"invoices": invoices, "notes": notes, "retainers": retainers, "orders": orders}


def test_billing_again_after_compaction_issues_nothing_and_loses_nothing(
    tmp_path: Path, demo_into: Callable[[str], None]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    demo_into(url)
    clock = rc.ManualClock(LATER)
    with rc.open(url, clock=clock) as crm:
        before = _books(crm)
        assert len(before["invoices"]) > 10
        # Everything retention may touch, made as old as it can be: every policy at one day.
        eager = [attrs.evolve(p, keep_for=timedelta(days=1)) for p in DEFAULT_RETENTION]
        report = apply_retention(crm, eager, now=LATER)
        assert report.events > 0
        assert report.records
        assert report.deleted.get("rule_audit")
        assert not any(
            e.data.get("email", "").startswith("Ada") for e in raw.all_events(crm.backend)
        )
        billing = BillingService(
            crm, business=BUSINESS, clock=clock, time_zone=ZONE, payment_terms_days=14
        )
        for through in (date(2026, 6, 30), date(2026, 12, 31), date(2027, 1, 1)):
            run = billing.run(through)
            assert (run.invoices, run.credit_notes, run.failures) == ((), (), ()), through
        assert billing.run().invoices == ()
        assert _books(crm) == before
