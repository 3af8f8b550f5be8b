"""Retention: old personal text removed, by a call or by the worker; accounting untouched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import relationship_core as rc
from relationship_core._billing.invoices import Invoice
from relationship_core._privacy import raw
from relationship_core.privacy import ERASED, RetentionPolicy, apply_retention

from .story import T0, build


def _summaries(crm: rc.CRM) -> list[str]:
    return [i.summary for i in crm.interactions.iterate()]


def test_retention_empties_old_text_and_keeps_recent_and_accounting(url: str) -> None:
    with rc.open(url) as crm:
        story = build(crm)
        invoice = crm.repository(Invoice).get(story.invoice)
        early = apply_retention(crm, now=T0 + timedelta(days=30))
        assert (early.records, early.events) == ({}, 0)
        assert ERASED not in _summaries(crm)
        late = apply_retention(crm, now=T0 + timedelta(days=4 * 365))
        assert late.records == {"interaction": 2}
        assert _summaries(crm) == [ERASED, ERASED]
        assert crm.interactions.get(story.interaction).summary == ERASED
        after = crm.repository(Invoice).get(story.invoice)
        assert (after.number, after.total, after.lines) == (
            invoice.number,
            invoice.total,
            invoice.lines,
        )
        assert crm.engagements.get(story.engagement).party_id == story.ann
        again = apply_retention(crm, now=T0 + timedelta(days=4 * 365))
        assert (again.records, again.events) == ({}, 0)


def test_a_policy_of_ones_own(url: str) -> None:
    with rc.open(url) as crm:
        build(crm)
        short = RetentionPolicy("interaction", timedelta(days=1), ("summary",), "occurred_at")
        report = apply_retention(crm, [short], now=T0 + timedelta(days=2))
        assert report.records == {"interaction": 2}
        assert _summaries(crm) == [ERASED, ERASED]


def test_the_worker_compacts_the_demo_store_and_accounting_stays(
    tmp_path: Path, demo_into: Callable[[str], None]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    demo_into(url)
    later = datetime(2031, 1, 1, tzinfo=UTC)
    with rc.open(url, clock=rc.ManualClock(later)) as crm:
        invoices = sorted((i.number, i.total, i.lines) for i in crm.repository(Invoice).iterate())
        assert any(e.data.get("email") for e in raw.all_events(crm.backend))
        crm.jobs.enqueue("privacy.retention", {}, due_at=later)
        [result] = rc.Runner(crm, queues=["privacy.retention"], worker="w1").run_once()
        assert result.outcome == "done", result
        tickets = list(crm.repository("ticket").iterate())
        assert len(tickets) == 2  # the support chapter's and the rules chapter's
        assert all((t.problem, t.name) == (ERASED, ERASED) for t in tickets)
        assert crm.repository("rule_audit").count() == 0
        assert all(
            n.text == ERASED for n in crm.repository("notification").iterate() if n.status == "sent"
        )
        assert not any(
            e.data.get("email", "").startswith("Ada") for e in raw.all_events(crm.backend)
        )
        after = sorted((i.number, i.total, i.lines) for i in crm.repository(Invoice).iterate())
        assert after == invoices
