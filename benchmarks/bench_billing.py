"""Benchmark: 24 months of retainer invoices, our biller against a hand-written loop.

The comparison is the simplest correct thing a developer would write by hand:
for each retainer, ``anchor + relativedelta(months=k)`` for k = 0..24 and the
fee as the amount. Both sides produce the same dates and amounts (asserted);
ours also builds full invoice documents (lines, idempotency keys, totals).

Run ``python benchmarks/bench_billing.py`` (100,000 retainers) or with
``--quick`` (5,000) for a smoke run.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from relationship_core import Money
from relationship_core._billing.biller import bill_retainer
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.invoices import Invoice
from relationship_core._billing.retainer import Retainer, RetainerTerms

MONTHS = 24
AT = datetime(2026, 1, 1, tzinfo=UTC)


def make_inputs(count: int, seed: int = 5) -> list[tuple[str, date, Decimal]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        month_start = date(2024, rng.randint(1, 12), 1)
        # many month-end anchors (29, 30, 31 clip in short months), some ordinary days
        anchor = month_start + relativedelta(day=rng.choice([1, 9, 15, 28, 29, 30, 31]))
        out.append((f"R{i}", anchor, Decimal(rng.randint(1_000, 2_000_000)).scaleb(-2)))
    return out


def by_hand(inputs: list[tuple[str, date, Decimal]]) -> list[tuple[date, date, Decimal]]:
    rows: list[tuple[date, date, Decimal]] = []
    for _rid, anchor, fee in inputs:
        rows.extend(
            (anchor + relativedelta(months=k), anchor + relativedelta(months=k + 1), fee)
            for k in range(MONTHS)
        )
    return rows


def with_biller(retainers: list[Retainer]) -> list[tuple[date, date, Decimal]]:
    rows = []
    for retainer in retainers:
        through = retainer.starts_on + relativedelta(months=MONTHS - 1)
        for step in bill_retainer(retainer, through, AT):
            invoice = step.document
            assert isinstance(invoice, Invoice)
            line = invoice.lines[0]
            assert line.period_start is not None
            assert line.period_end is not None
            rows.append((line.period_start, line.period_end, invoice.total.amount))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 retainers instead of 100,000")
    parser.add_argument("--retainers", type=int, default=None)
    args = parser.parse_args()
    count = args.retainers or (5_000 if args.quick else 100_000)
    inputs = make_inputs(count)
    cycle = BillingCycle.monthly()
    retainers = [
        Retainer.start(
            rid,
            f"P{rid}",
            RetainerTerms(Money(fee, "USD"), cycle, "UTC", anchor=anchor),
            AT,
            starts_on=anchor,
        )
        for rid, anchor, fee in inputs
    ]

    t0 = time.perf_counter()
    expected = by_hand(inputs)
    t_hand = time.perf_counter() - t0

    t0 = time.perf_counter()
    got = with_biller(retainers)
    t_ours = time.perf_counter() - t0

    assert got == expected, "the biller and the hand-written loop disagree"
    assert len(got) == count * MONTHS
    print(f"retainers: {count:,}  invoices: {len(got):,}")
    print(f"hand-written relativedelta loop: {t_hand:8.2f} s")
    print(
        f"relationship_core biller:        {t_ours:8.2f} s  ({t_ours / len(got) * 1e6:.1f} us/invoice)"
    )
    print(f"ratio (biller / hand loop):      {t_ours / t_hand:8.2f}x  (goal: within 3x)")


if __name__ == "__main__":
    main()
