"""The customer summary computed by the store: SQL on SQLite and PostgreSQL.

`store_customer_summary` gives what `customer_summary` (or
`calibration_holdout_summary`) gives for `transactions_from_store`, but the
database does the work: each purchase is taken as a local date in its
account's zone, summed per customer and day, and only one row per customer
comes back. A store without SQL (``memory://``) takes a Python path that gives
the same answers; the tests hold the three to each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core.analytics._data import TimeUnit, TimeUnitLike
from relationship_core.analytics._store_days import needs_preparing, prepare
from relationship_core.analytics._store_sql import (
    Source,
    SummaryRow,
    sql_currencies,
    sql_summary_rows,
)
from relationship_core.analytics._summary_info import record_summary_info
from relationship_core.exceptions import CurrencyMismatchError, SchemaError, ValidationError

__all__ = ["store_customer_summary"]

_EPOCH = date(1970, 1, 1)
_UTC = ZoneInfo("UTC")


class _StoreLike(Protocol):
    @property
    def backend(self) -> Any: ...
    def repository(self, kind: str) -> Any: ...


def _end(field: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(
            field, value, "expected a date (each account's purchases are counted by local date)"
        )
    return value


def store_customer_summary(
    crm: _StoreLike,
    *,
    source: Source,
    time_unit: TimeUnitLike,
    observation_end: date,
    calibration_end: date | None = None,
    currency: str | None = None,
) -> pd.DataFrame:
    """Summarise a store's orders or paid invoices per customer, inside the database.

    The result is what `customer_summary` gives (with *calibration_end*, what
    `calibration_holdout_summary` gives), indexed by party id and recording
    its unit, ends and currency in ``attrs``. On SQLite and PostgreSQL one SQL
    statement computes it, so ten million purchases cost one row per customer
    in Python; other stores take a Python path with the same answers.

    Purchases: ``"orders"`` counts every order that is not cancelled or
    refunded, at its total less refunds, on the date it was placed in the
    party's ``time_zone``; ``"invoices"`` counts paid invoices at their total
    on their issue date (already a local date). Days, not instants, decide:
    a purchase counts when its local date is on or before the end.

    Args:
        crm: An open store (from `relationship_core.open`).
        source: ``"orders"`` or ``"invoices"``.
        time_unit: Unit of ``recency``, ``T`` (and ``duration_holdout``).
        observation_end: Last local date observed (a ``date``).
        calibration_end: Split here: the summary covers purchases up to this
            date and the holdout columns the days after it, up to
            *observation_end*; only customers who bought by then are kept.
        currency: The currency to summarise; needed only when the purchases
            are in more than one (a summary never mixes currencies).

    Raises:
        ValidationError: A bad *source*, unit, end or currency code.
        CurrencyMismatchError: The purchases are in several currencies and
            *currency* was not given.
        SchemaError: Purchases stored before their totals were indexed (run
            ``migrate`` once to fill them).
    """
    if source not in ("orders", "invoices"):
        raise ValidationError("source", source, "expected 'orders' or 'invoices'")
    unit = TimeUnit.parse(time_unit)
    end = _end("observation_end", observation_end)
    cal = end if calibration_end is None else _end("calibration_end", calibration_end)
    if calibration_end is not None and not cal < end:
        raise ValidationError(
            "calibration_end", calibration_end, f"must be before observation_end {end}"
        )
    if currency is not None and not (
        isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
    ):
        raise ValidationError("currency", currency, "expected a three-letter currency code")
    backend = crm.backend
    dialect = getattr(getattr(backend, "dialect", None), "name", None)
    end_day, cal_day = (end - _EPOCH).days, (cal - _EPOCH).days
    if dialect in ("SQLite", "PostgreSQL"):
        with backend._reader() as conn:
            stale = needs_preparing(conn, dialect, source)
        if stale:  # first summary on this store, or orders stored since the last one
            with backend._writer() as conn:
                prepare(conn, dialect)
        with backend._snapshot() as conn:
            codes, unfilled = sql_currencies(conn, dialect, source)
            if unfilled:
                raise SchemaError(
                    f"some {source} were stored before their totals were indexed; "
                    "run migrate once (relationship-core migrate, or crm.migrate()) to fill them"
                )
            code = _currency(codes, currency)
            rows = list(
                sql_summary_rows(
                    conn, dialect, source, code or "", end_day=end_day, calibration_day=cal_day
                )
            )
    else:
        purchases = list(_purchases(crm, source))
        code = _currency(sorted({p[3] for p in purchases}), currency)
        rows = _python_rows(purchases, code, end_day=end_day, calibration_day=cal_day)
    summary = _frame(
        rows, unit, cal_day=cal_day, holdout=calibration_end is not None, days=end_day - cal_day
    )
    return record_summary_info(
        summary, unit=unit.value, calibration_end=cal, observation_end=end, currency=code
    )


def _currency(found: Sequence[str | None], wanted: str | None) -> str | None:
    codes = [c for c in found if c is not None]
    if wanted is not None:
        return wanted.upper()
    if len(codes) > 1:
        raise CurrencyMismatchError(codes[0], codes[1], "summarise together").prefixed(
            f"currency (the purchases are in {', '.join(codes)}; pass currency= to choose one)"
        )
    return codes[0] if codes else None


def _frame(
    rows: list[SummaryRow], unit: TimeUnit, *, cal_day: int, holdout: bool, days: int
) -> pd.DataFrame:
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    customers = np.empty(n, dtype=object)
    customers[:] = columns[0]
    counts, first, last, hold_n = (np.asarray(columns[i], dtype=np.int64) for i in (1, 2, 3, 5))
    repeat, hold_sum = _money(columns[4]), _money(columns[6])
    frequency = counts - 1
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / unit.days,
            "T": (cal_day - first) / unit.days,
        },
        index=pd.Index(customers, name="customer_id", dtype=object),
    )
    summary["recency"] = summary["recency"].astype(np.float64)
    summary["T"] = summary["T"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        summary["monetary_value"] = np.where(frequency > 0, repeat / np.maximum(frequency, 1), 0.0)
        if holdout:
            summary["frequency_holdout"] = hold_n
            summary["monetary_value_holdout"] = np.where(
                hold_n > 0, hold_sum / np.maximum(hold_n, 1), 0.0
            )
            summary["duration_holdout"] = np.full(n, days / unit.days, dtype=np.float64)
    return summary


def _money(values: Sequence[object]) -> npt.NDArray[np.float64]:
    """Exact sums as floats: SQLite's whole millionths, PostgreSQL's NUMERIC, Decimals.

    Each value is rounded once (whole millionths below 2**53 convert exactly, and
    the division by 10**6 rounds correctly), so every path gives the same floats.
    """
    if not values:
        return np.zeros(0, dtype=np.float64)
    if set(map(type, values)) == {int}:  # one C-level pass to tell the common case
        try:
            whole = np.asarray(values, dtype=np.int64)
        except OverflowError:
            whole = None
        if whole is not None and int(whole.min()) > -(2**53) and int(whole.max()) < 2**53:
            return whole.astype(np.float64) / 1e6
    return np.array(
        [v / 1_000_000 if type(v) is int else float(v or 0) for v in values],  # type: ignore[arg-type]
        dtype=np.float64,
    )


# -- stores without SQL ------------------------------------------------------------


def _purchases(crm: _StoreLike, source: Source) -> Iterable[tuple[str, int, Decimal, str]]:
    """``(customer, local day, amount, currency)`` per counted purchase, read as objects."""
    if source == "invoices":
        for invoice in crm.repository("invoice").iterate():
            if invoice.status.value == "paid" and invoice.issued_on is not None:
                day = (invoice.issued_on - _EPOCH).days
                yield invoice.party_id, day, invoice.total.amount, invoice.currency.code
        return
    zones = {p.id: getattr(p, "time_zone", _UTC) for p in crm.repository("party").iterate()}
    for order in crm.repository("order").iterate():
        if order.status.value in ("cancelled", "refunded"):
            continue
        local = order.placed_at.astimezone(zones.get(order.party_id, _UTC)).date()
        amount = order.total.amount - order.refunded.amount
        yield order.party_id, (local - _EPOCH).days, amount, order.currency.code


def _python_rows(
    purchases: list[tuple[str, int, Decimal, str]],
    currency: str | None,
    *,
    end_day: int,
    calibration_day: int,
) -> list[SummaryRow]:
    """What the SQL statement computes, in Python (exact Decimal sums)."""
    daily: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer, day, amount, code in purchases:
        if code == currency and day <= end_day:
            daily[customer][day] += amount
    rows: list[SummaryRow] = []
    for customer in sorted(daily):
        days = daily[customer]
        first = min(days)
        if first > calibration_day:
            continue
        cal = [d for d in days if d <= calibration_day]
        hold = [d for d in days if d > calibration_day]
        repeat = sum((days[d] for d in cal if d > first), Decimal(0))
        held = sum((days[d] for d in hold), Decimal(0))
        rows.append((customer, len(cal), first, max(cal), repeat, len(hold), held))
    return rows
