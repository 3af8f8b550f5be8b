"""Racing billers and random interrupted runs: every period once, numbers without gaps."""

from __future__ import annotations

import contextlib
import threading
import time as pytime
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core import Invoice, ManualClock
from relationship_core._app.billing import BillingRun, BillingService
from relationship_core._app.billing import retainer_billing as billing_module
from relationship_core._app.facade import CRM, open_store
from relationship_core._billing.biller import bill_retainer as real_bill_retainer
from relationship_core._billing.biller import period_key

from .conftest import START, save_parties, terms

RETAINERS = [f"R{n}" for n in range(6)]


def stored(crm: CRM) -> list[Invoice]:
    return list(crm.repository("invoice").iterate())


def expected_keys(through: date) -> set[str]:
    """Every monthly period of 2026 due by *through*, for every retainer (all start 1 January)."""
    return {
        period_key(rid, date(2026, month, 1))
        for rid in RETAINERS
        for month in range(1, 13)
        if date(2026, month, 1) <= through
    }


def check_exactly_once_and_gapless(crm: CRM, through: date) -> None:
    invoices = stored(crm)
    assert Counter(i.id for i in invoices) == Counter(expected_keys(through))
    numbers = sorted(i.number or "" for i in invoices)
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, len(invoices) + 1)]
    assert len({i.number for i in invoices}) == len(invoices)


#: One retainer per unit of work (the default path), and the batched path
#: (batches of 4 over 6 retainers: a full batch and a short one).
BATCH_SIZES = pytest.mark.parametrize("batch_size", [1, 4], ids=["one-by-one", "batched"])


@BATCH_SIZES
def test_two_billers_racing_on_sqlite_bill_each_period_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    clock = ManualClock(START)
    with open_store(url, clock=clock) as crm:
        setup = BillingService(crm, business="acme")
        for rid in RETAINERS:
            save_parties(crm, [f"P-{rid}"])  # references are checked: the party first
            setup.start_retainer(f"P-{rid}", terms("100.00"), retainer_id=rid)
    barrier = threading.Barrier(2)

    def slow_bill(retainer: Any, through: date, at: datetime) -> Any:
        pytime.sleep(0.002)  # widen the window between read and commit: make them collide
        return real_bill_retainer(retainer, through, at)

    monkeypatch.setattr(billing_module, "bill_retainer", slow_bill)
    runs: list[BillingRun] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with open_store(url, clock=clock) as crm:
                service = BillingService(crm, business="acme", max_attempts=10)
                barrier.wait()
                runs.extend(
                    service.run(date(2026, month, 1), batch_size=batch_size)
                    for month in range(1, 5)
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    issued = [invoice.id for run in runs for invoice in run.invoices]
    with open_store(url, clock=clock) as crm:
        # A retainer that lost every race stays due; a later run picks it up.
        leftover = BillingService(crm, business="acme").run(date(2026, 4, 1))
        issued += [invoice.id for invoice in leftover.invoices]
        check_exactly_once_and_gapless(crm, date(2026, 4, 1))
    # What the billers report issuing is exactly what was stored, once each.
    assert Counter(issued) == Counter(expected_keys(date(2026, 4, 1)))
    assert sum(run.retries for run in runs) > 0  # they did collide, and conflicts were retried


class PowerCutError(Exception):
    """Stands for a process dying in the middle of a run."""


def crash_after(n: int) -> Any:
    """A stand-in for ``bill_retainer`` that dies on the (n + 1)-th retainer of a run."""
    seen: list[str] = []

    def crashing(retainer: Any, through: date, at: datetime) -> Any:
        seen.append(retainer.id)
        if len(seen) > n:
            raise PowerCutError
        return real_bill_retainer(retainer, through, at)

    return crashing


@st.composite
def schedules(draw: st.DrawFn) -> list[tuple[date, int | None]]:
    """Increasing run dates in 2026, each maybe interrupted after its N-th retainer."""
    days = draw(st.lists(st.integers(0, 364), min_size=1, max_size=8).map(sorted))
    return [
        (date(2026, 1, 1) + timedelta(days=d), draw(st.none() | st.integers(0, len(RETAINERS))))
        for d in days
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=schedules(), repeats=st.integers(1, 2), batch_size=st.sampled_from([1, 2, 4, 6]))
def test_random_runs_with_crashes_never_skip_nor_double_nor_leave_gaps(
    plan: list[tuple[date, int | None]],
    repeats: int,
    batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as crm:
        billing = BillingService(crm, business="acme")
        for rid in RETAINERS:
            save_parties(crm, [f"P-{rid}"])  # references are checked: the party first
            billing.start_retainer(f"P-{rid}", terms("100.00"), retainer_id=rid)
        for on, crash_at in plan:
            clock.set(datetime.combine(on, time(10), UTC))
            if crash_at is not None:
                with monkeypatch.context() as patch, contextlib.suppress(PowerCutError):
                    patch.setattr(billing_module, "bill_retainer", crash_after(crash_at))
                    billing.run(on, batch_size=batch_size)
            for _ in range(repeats):
                billing.run(on, batch_size=batch_size)
            check_exactly_once_and_gapless(crm, on)
