"""Trials and amount commitments through the billing service, and the layout 4 upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime

from relationship_core import (
    AmountCommitment,
    BillingCycle,
    LineKind,
    ManualClock,
    Money,
    RetainerTerms,
    Trial,
    TrialDocument,
    TrialOutcome,
)
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM
from relationship_core._storage.contract import Write


def _terms(**extra: object) -> RetainerTerms:
    return RetainerTerms(Money("300.00", "EUR"), BillingCycle.monthly(), "Europe/Paris", **extra)  # type: ignore[arg-type]


def _trial_events(crm: CRM) -> list[str]:
    return [e.name for _, e in crm.events.read(limit=1000) if e.name.startswith("retainer.trial")]


def test_a_trial_runs_extends_and_converts_in_the_store(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    trial = Trial(days=14, document=TrialDocument.ZERO_INVOICE)
    billing.start_retainer("P1", _terms(trial=trial), retainer_id="T1", starts_on=date(2026, 1, 1))
    assert billing.due_retainers(date(2026, 1, 1)) == ["T1"]
    first = billing.run(date(2026, 1, 1))
    assert [(i.total, i.status.value) for i in first.invoices] == [(Money("0.00", "EUR"), "paid")]
    assert first.invoices[0].lines[0].kind is LineKind.TRIAL
    clock.set(datetime(2026, 1, 10, 9, tzinfo=UTC))
    extended = billing.extend_trial("T1", days=7, price=Money("20.00", "EUR"))
    assert extended.trial_ends_on == date(2026, 1, 22)
    assert extended.terms.bill_cycle_day == 22
    assert billing.due_retainers(date(2026, 1, 14)) == []  # the extension is due on 15 January
    run = billing.run(date(2026, 1, 22))
    assert [i.total for i in run.invoices] == [Money("20.00", "EUR"), Money("300.00", "EUR")]
    assert run.invoices[1].lines[0].period_start == date(2026, 1, 22)
    stored = billing.retainers.get("T1")
    assert stored.trial is not None
    assert (stored.trial.outcome, stored.trial.ended) == (TrialOutcome.CONVERTED, True)
    assert _trial_events(crm) == [
        "retainer.trial_started",
        "retainer.trial_extended",
        "retainer.trial_converted",
        "retainer.trial_ended",
    ]
    assert billing.run(date(2026, 1, 22)).invoices == ()


def test_a_cancelled_trial_bills_nothing_paid(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    billing.start_retainer(
        "P1", _terms(trial=Trial(periods=1)), retainer_id="T2", starts_on=date(2026, 1, 5)
    )
    clock.set(datetime(2026, 1, 20, 9, tzinfo=UTC))
    cancelled = billing.cancel_trial("T2", reason="went elsewhere")
    assert cancelled.ends_on == date(2026, 2, 5)
    assert billing.run(date(2026, 6, 1)).invoices == ()
    assert billing.due_retainers(date(2027, 1, 1)) == []
    assert _trial_events(crm) == [
        "retainer.trial_started",
        "retainer.trial_cancelled",
        "retainer.trial_ended",
    ]


def test_an_amount_commitment_is_trued_up_by_the_run(billing: BillingService) -> None:
    commitment = AmountCommitment(Money("4000.00", "EUR"), months=12)
    billing.start_retainer(
        "P2", _terms(commitment=commitment), retainer_id="C1", starts_on=date(2026, 1, 1)
    )
    billing.pause("C1", on=date(2026, 3, 1))
    billing.resume("C1", on=date(2026, 5, 1))
    assert billing.due_retainers(date(2027, 1, 1)) == ["C1"]
    run = billing.run(date(2027, 1, 1))
    last = run.invoices[-1]
    true_up = [line for line in last.lines if line.kind is LineKind.TRUE_UP]
    assert [line.net for line in true_up] == [Money("1000.00", "EUR")]  # 10 x 300.00 counted
    assert billing.retainers.get("C1").commitment_settled


def test_layout_3_retainers_load_with_no_trial_and_migrate(crm: CRM) -> None:
    billing = BillingService(crm)
    billing.start_retainer("P1", _terms(), retainer_id="OLD", starts_on=date(2026, 1, 1))
    record = crm.backend.get_many("retainer", ["OLD"])["OLD"]
    terms = {k: v for k, v in record.data["terms"].items() if k not in ("trial", "commitment")}
    data = {k: v for k, v in record.data.items() if k not in ("trial", "commitment_settled")} | {
        "terms": terms
    }
    with crm.backend.transaction() as tx:
        tx.put_many([Write("retainer", "OLD", data, record.indexed, record.version, 3)])
    loaded = crm.repository("retainer").get("OLD")
    assert (loaded.trial, loaded.terms.trial, loaded.terms.commitment) == (None, None, None)
    assert "retainer: 1 upgraded to layout 4" in crm.migrate()
    upgraded = crm.backend.get_many("retainer", ["OLD"])["OLD"]
    assert upgraded.data["trial"] is None
    assert upgraded.data["terms"]["commitment"] is None
    assert [i.total for i in billing.run(date(2026, 2, 1)).invoices] == [
        Money("300.00", "EUR"),
        Money("300.00", "EUR"),
    ]


def test_a_promotion_starts_a_trial_and_a_batched_run_bills_it(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    from relationship_core import Engagement, Person

    crm.parties.add(Person(id="P9", name="Pat Nine"))
    engagement = Engagement.start(
        "P9", kind="customer", acquired_on=date(2025, 11, 1), at=clock.now(), support_team="desk"
    )
    crm.engagements.add(engagement)
    clock.set(datetime(2026, 1, 29, 10, tzinfo=UTC))
    _, retainer = billing.promote(
        engagement.id,
        _terms(trial=Trial(days=30)),
        account_manager="amy",
        reason="signed",
        retainer_id="PT",
    )
    assert retainer.trial_ends_on == date(2026, 2, 28)
    assert retainer.terms.bill_cycle_day == 28
    billing.start_retainer("P1", _terms(), retainer_id="PLAIN", starts_on=date(2026, 1, 1))
    run = billing.run(date(2026, 3, 28), batch_size=5)
    paid = sorted((i.source_id, i.lines[0].period_start) for i in run.invoices)
    assert ("PT", date(2026, 2, 28)) in paid
    assert ("PT", date(2026, 3, 28)) in paid
    assert len([p for p in paid if p[0] == "PT"]) == 2
    assert "retainer.trial_ended" in _trial_events(crm)


def test_layout_2_retainer_plans_gain_no_trial(crm: CRM) -> None:
    from relationship_core import Engagement
    from relationship_core._billing.lifecycle import RetainerPlan

    engagement = Engagement.start(
        "P1", kind="customer", acquired_on=date(2025, 11, 1), at=crm.clock.now(), support_team="d"
    )
    crm.engagements.add(engagement)
    BillingService(crm)  # saves the default business the plan refers to
    with crm.unit_of_work() as uow:
        plan = RetainerPlan(id=engagement.id, retainer_id="R", terms=_terms())
        uow.repository(RetainerPlan).add(plan)
    record = crm.backend.get_many("retainer_plan", [engagement.id])[engagement.id]
    terms = {k: v for k, v in record.data["terms"].items() if k not in ("trial", "commitment")}
    with crm.backend.transaction() as tx:
        tx.put_many(
            [
                Write(
                    "retainer_plan",
                    engagement.id,
                    {**record.data, "terms": terms},
                    record.indexed,
                    record.version,
                    2,
                )
            ]
        )
    loaded = crm.repository("retainer_plan").get(engagement.id)
    assert loaded.terms is not None
    assert (loaded.terms.trial, loaded.terms.commitment) == (None, None)
    assert "retainer_plan: 1 upgraded to layout 3" in crm.migrate()
