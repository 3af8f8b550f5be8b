"""The customer summary as SQL: one statement per summary on SQLite and PostgreSQL.

Every purchase is ``(customer, local day, amount)`` inside the database; the
database sums each customer's days and returns one row per customer, so
millions of purchases never become Python objects. Amounts are the store's
exact indexed decimals (whole millionths on SQLite, ``NUMERIC`` on
PostgreSQL), so the sums are exact.

Local days: an order's day is kept in its row (`_store_days`), computed once
from the zones' UTC offsets over the orders' span (with `zoneinfo`, written
into the filling statement as one ``CASE`` per zone; the tests check every
second of a year against `zoneinfo`); SQLite has no zone database, and on
PostgreSQL the same offsets keep both stores' answers identical. An invoice's
day is its issue date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from relationship_core._storage.sql import index_name

__all__ = [
    "DAY",
    "EPOCH_DAY_OFFSET",
    "Source",
    "SummaryRow",
    "offset_case",
    "order_span",
    "sql_currencies",
    "sql_summary_rows",
    "summary_sql",
    "zone_offsets",
]

Source = Literal["orders", "invoices"]
#: customer, calibration days, first day, last calibration day, repeat sum, holdout days,
#: holdout sum (days are days since 1970-01-01 in the customer's zone).
SummaryRow = tuple[str, int, int, int, Any, int, Any]

#: The analytics column holding an order's local purchase day (days since 1970-01-01).
DAY = "a_local_day"
EPOCH_DAY_OFFSET = 1_000_000  # keeps integer division flooring for instants before 1970
_EPOCH = date(1970, 1, 1)


def _kind(source: Source) -> str:
    return "rc_rec_order" if source == "orders" else "rc_rec_invoice"


def _where(source: Source, alias: str) -> str:
    if source == "orders":
        return f"{alias}.f_status NOT IN ('cancelled', 'refunded')"
    return f"{alias}.f_status = 'paid' AND {alias}.f_issued_on IS NOT NULL"


def _amount(source: Source, alias: str) -> str:
    if source == "orders":
        return f"({alias}.f_total - {alias}.f_refunded)"
    return f"{alias}.f_total"


def sql_currencies(conn: Any, dialect: str, source: Source) -> tuple[list[str], int]:
    """The distinct currencies of the purchases *source* counts, and whether some are unfilled.

    Unfilled: stored before the indexed totals existed (``migrate`` fills them).
    Index lookups only, never a scan of the purchases: the currencies stored
    at all walked one at a time down their index, each kept if some counted
    purchase has it; then one lookup per indexed field for a missing value.
    """
    ph = "%s" if dialect == "PostgreSQL" else "?"
    kind, counted = _kind(source), _where(source, "o")
    stored = [
        r[0]
        for r in conn.execute(
            f"WITH RECURSIVE t(c) AS (SELECT MIN(f_currency) FROM {kind} UNION ALL "
            f"SELECT (SELECT MIN(f_currency) FROM {kind} WHERE f_currency > t.c) FROM t "
            "WHERE t.c IS NOT NULL) SELECT c FROM t WHERE c IS NOT NULL"
        ).fetchall()
    ]
    codes = [
        code
        for code in stored
        if conn.execute(
            f"SELECT 1 FROM {kind} o WHERE o.f_currency = {ph} AND {counted} LIMIT 1", (code,)
        ).fetchone()
    ]
    name = "order" if source == "orders" else "invoice"
    fields = ("currency", "total", "refunded") if source == "orders" else ("currency", "total")
    unfilled = sum(
        1
        for field in fields
        if conn.execute(
            f"SELECT 1 FROM {kind} o{_by(dialect, index_name(name, field))} "
            f"WHERE o.f_{field} IS NULL AND {counted} LIMIT 1"
        ).fetchone()
    )
    return sorted(codes), unfilled


def _by(dialect: str, index: str) -> str:
    """SQLite: walk *index* (its NULLs come first) rather than scan a covering one."""
    return "" if dialect == "PostgreSQL" else f" INDEXED BY {index}"


def _day_sql(source: Source, dialect: str, alias: str) -> str:
    """The column a purchase's local day is read from (orders: kept; invoices: issue date)."""
    return f"{alias}.{DAY}" if source == "orders" else f"{alias}.f_issued_on"


def _bound(source: Source, dialect: str, day: int) -> str:
    """A day number as the literal the day column compares with."""
    if source == "orders":
        return str(int(day))
    text = (_EPOCH + timedelta(days=int(day))).isoformat()
    return f"DATE '{text}'" if dialect == "PostgreSQL" else f"'{text}'"


def _number(source: Source, dialect: str, value: str) -> str:
    """The day column's value as days since 1970-01-01."""
    if source == "orders":
        return value
    if dialect == "PostgreSQL":
        return f"({value} - DATE '1970-01-01')"
    return f"CAST(julianday({value}) - 2440587.5 AS INTEGER)"


def summary_sql(source: Source, dialect: str, *, end_day: int, calibration_day: int) -> str:
    """The per-customer statement; binds the currency twice.

    One pass over the purchases in (customer, day) order, read from the
    covering index: distinct days counted, first and last day, the sums of the
    calibration and holdout purchases. The first day's sum (what the repeat
    spend leaves out) is one index lookup per customer, not a second grouping.
    """
    ph = "%s" if dialect == "PostgreSQL" else "?"
    kind = _kind(source)
    day = _day_sql(source, dialect, "o")
    end, cal = _bound(source, dialect, end_day), _bound(source, dialect, calibration_day)
    amount, first_amount = _amount(source, "o"), _amount(source, "f")
    where = f"{_where(source, 'o')} AND o.f_currency = {ph}"
    first = (
        f"(SELECT SUM({first_amount}) FROM {kind} f WHERE f.f_party_id = g.c "
        f"AND {_day_sql(source, dialect, 'f')} = g.first AND f.f_currency = {ph} "
        f"AND {_where(source, 'f')})"
    )
    if calibration_day >= end_day:  # no holdout: every purchase read is a calibration one
        columns = f"""COUNT(DISTINCT {day}) AS n, MIN({day}) AS first, MAX({day}) AS last,
    SUM({amount}) AS cal, 0 AS hn, 0 AS hs"""
    else:
        columns = f"""COUNT(DISTINCT CASE WHEN {day} <= {cal} THEN {day} END) AS n,
    MIN({day}) AS first,
    MAX(CASE WHEN {day} <= {cal} THEN {day} END) AS last,
    SUM(CASE WHEN {day} <= {cal} THEN {amount} ELSE 0 END) AS cal,
    COUNT(DISTINCT CASE WHEN {day} > {cal} THEN {day} END) AS hn,
    SUM(CASE WHEN {day} > {cal} THEN {amount} ELSE 0 END) AS hs"""
    return f"""SELECT g.c, g.n, {_number(source, dialect, "g.first")},
  {_number(source, dialect, "g.last")}, g.cal - {first}, g.hn, g.hs
FROM (SELECT o.f_party_id AS c, {columns}
  FROM {kind} o WHERE {where} AND {day} <= {end}
  GROUP BY o.f_party_id HAVING MIN({day}) <= {cal} ORDER BY o.f_party_id) g
ORDER BY g.c"""


def sql_summary_rows(
    conn: Any,
    dialect: str,
    source: Source,
    currency: str,
    *,
    end_day: int,
    calibration_day: int,
) -> Iterator[SummaryRow]:
    """Per-customer rows of the summary, computed by the database (streamed)."""
    sql = summary_sql(source, dialect, end_day=end_day, calibration_day=calibration_day)
    params = (currency, currency)
    if dialect == "PostgreSQL":
        with conn.transaction():  # room for the distinct days, for this statement only
            conn.execute("SET LOCAL work_mem = '64MB'")
            cursor = conn.execute(sql, params)
            while rows := cursor.fetchmany(10_000):
                yield from rows
    else:
        cursor = conn.execute(sql, params)
        while rows := cursor.fetchmany(10_000):
            yield from rows


# -- the zones' offsets (for filling the days) ------------------------------------------


def order_span(conn: Any, where: str) -> Sequence[Any]:
    """The first and last instant of the orders matching *where* (alias ``o``)."""
    row: Sequence[Any] = conn.execute(
        f"SELECT MIN(o.f_placed_at), MAX(o.f_placed_at) FROM rc_rec_order o WHERE {where}"
    ).fetchone()
    return row


def offset_case(zones: Sequence[str], span: Sequence[Any], column: str, dialect: str) -> str:
    """``CASE column WHEN zone THEN CASE WHEN o.f_placed_at < stop THEN offset ...``.

    The stops are literals the stored instants compare with: ``timestamptz`` on
    PostgreSQL, the stored text's prefix on SQLite (stored as
    ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, instants sort as text), so no row's
    instant is parsed twice.
    """

    def literal(stop: int) -> str:
        return f"TIMESTAMPTZ '{_iso(stop)}+00'" if dialect == "PostgreSQL" else f"'{_iso(stop)}'"

    zones = [z for z in zones if z and z != "UTC"]
    if not zones or span[0] is None:
        return "0"
    lo, hi = (
        (v if isinstance(v, datetime) else datetime.fromisoformat(v)).astimezone(UTC) for v in span
    )
    lo, hi = lo - timedelta(days=2), hi + timedelta(days=2)
    cases = []
    for zone in sorted(zones):
        rows = zone_offsets(zone, lo, hi)
        steps = " ".join(
            f"WHEN o.f_placed_at < {literal(stop)} THEN {offset}"
            for _, _, stop, offset in rows[:-1]
        )
        last = str(rows[-1][3])
        quoted = zone.replace("'", "''")
        cases.append(
            f"WHEN '{quoted}' THEN " + (f"CASE {steps} ELSE {last} END" if steps else last)
        )
    return f"COALESCE(CASE {column} {' '.join(cases)} END, 0)"


def _iso(seconds: int) -> str:
    """Unix seconds as the stored instants' text prefix (they sort as text)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _offset(zone: ZoneInfo, seconds: int) -> int:
    offset = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def zone_offsets(name: str, lo: datetime, hi: datetime) -> Sequence[tuple[str, int, int, int]]:
    """``(zone, start, stop, offset)`` rows (Unix seconds) covering [lo, hi) exactly.

    Steps a day at a time and bisects to the second where the offset changes
    (zones change their offset at most a few times a year, never twice a day).
    """
    zone = ZoneInfo(name)
    start = int(lo.timestamp())
    stop = int(hi.timestamp())
    rows: list[tuple[str, int, int, int]] = []
    begin, current = start, _offset(zone, start)
    at = start
    while at < stop:
        step = min(at + 86_400, stop)
        offset = _offset(zone, step)
        if offset != current:
            low, high = at, step  # offset(low) == current, offset(high) != current
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, mid) == current:
                    low = mid
                else:
                    high = mid
            rows.append((name, begin, high, current))
            begin, current = high, _offset(zone, high)
        at = step
    rows.append((name, begin, stop + 1, current))
    return rows
