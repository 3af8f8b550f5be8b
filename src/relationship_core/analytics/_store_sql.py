"""The customer summary as SQL: one statement per summary on SQLite and PostgreSQL.

Every purchase becomes ``(customer, local day, amount)`` inside the database;
the database sums each customer's days and returns one row per customer, so
millions of purchases never become Python objects. Amounts are the store's
exact indexed decimals (whole millionths on SQLite, ``NUMERIC`` on
PostgreSQL), so the sums are exact.

Local days: the zones' UTC offsets over the data's span are computed here
(with `zoneinfo`) and written into the statement as one ``CASE`` per zone;
each purchase takes the offset in force at its instant (the tests check every
second of a year against `zoneinfo`). On SQLite, which has no zone database,
there is no other way; on PostgreSQL it costs a third of ``AT TIME ZONE`` with
a zone name per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = ["Source", "SummaryRow", "sql_currencies", "sql_summary_rows"]

Source = Literal["orders", "invoices"]
#: customer, calibration days, first day, last calibration day, repeat sum, holdout days,
#: holdout sum (days are days since 1970-01-01 in the customer's zone).
SummaryRow = tuple[str, int, int, int, Any, int, Any]

_EPOCH_DAY_OFFSET = 1_000_000  # keeps integer division flooring for instants before 1970
_PARTY_TABLE = "temp.rc_analytics_party_zones"


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


def sql_currencies(conn: Any, source: Source) -> tuple[list[str], int]:
    """The distinct currencies of the purchases *source* counts, and how many are unfilled.

    Unfilled: stored before the indexed totals existed (``migrate`` fills them).
    One scan for both.
    """
    refunded = " OR o.f_refunded IS NULL" if source == "orders" else ""
    rows = conn.execute(
        "SELECT o.f_currency, SUM(CASE WHEN o.f_total IS NULL OR o.f_currency IS NULL"
        f"{refunded} THEN 1 ELSE 0 END) FROM {_kind(source)} o WHERE {_where(source, 'o')} "
        "GROUP BY o.f_currency"
    ).fetchall()
    return sorted(r[0] for r in rows if r[0] is not None), sum(int(r[1]) for r in rows)


def _aggregate(purchases: str, ph: str, dialect: str) -> str:
    """The per-customer statement over ``purchases`` (c, day, amount); binds end, cal x6.

    One pass over the (customer, day) sums: the first day's sum comes with the
    smallest day, as the minimum of ``(day, sum)`` pairs (an array on
    PostgreSQL, fixed-width text on SQLite), so no second pass joins it back.
    """
    if dialect == "PostgreSQL":
        first_amount = "(MIN(ARRAY[day::numeric, amount]))[2]"
    else:
        first_amount = "CAST(substr(MIN(printf('%08d %d', day + 10000000, amount)), 10) AS INTEGER)"
    return f"""
WITH d AS (SELECT c, day, SUM(amount) AS amount FROM ({purchases}) p
           WHERE day <= {ph} GROUP BY c, day)
SELECT c,
  SUM(CASE WHEN day <= {ph} THEN 1 ELSE 0 END),
  MIN(day),
  MAX(CASE WHEN day <= {ph} THEN day END),
  SUM(CASE WHEN day <= {ph} THEN amount ELSE 0 END) - {first_amount},
  SUM(CASE WHEN day > {ph} THEN 1 ELSE 0 END),
  SUM(CASE WHEN day > {ph} THEN amount ELSE 0 END)
FROM d
GROUP BY c
HAVING MIN(day) <= {ph}
ORDER BY c"""


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
    ph = "%s" if dialect == "PostgreSQL" else "?"
    kind = _kind(source)
    where = f"{_where(source, 'o')} AND o.f_currency = {ph}"
    amount = _amount(source, "o")
    if dialect == "PostgreSQL":
        if source == "orders":
            offset = _pg_offset_expression(conn)
            day = f"floor((extract(epoch FROM o.f_placed_at) + {offset}) / 86400)::int"
        else:
            day = "(o.f_issued_on - DATE '1970-01-01')"
        purchases = (
            f"SELECT o.f_party_id AS c, {day} AS day, {amount} AS amount FROM {kind} o "
            + (
                "LEFT JOIN (SELECT id, data->>'time_zone' AS zone FROM rc_rec_party OFFSET 0) pt "
                "ON pt.id = o.f_party_id "
                if source == "orders"
                else ""
            )
            + f"WHERE {where}"
        )
    elif source == "orders":
        offset = _offset_expression(conn)  # compares the stored text: no second parse
        seconds = "CAST(strftime('%s', substr(o.f_placed_at, 1, 19)) AS INTEGER)"
        purchases = (
            f"SELECT o.f_party_id AS c, ({seconds} + {offset} + {_EPOCH_DAY_OFFSET * 86400}) "
            f"/ 86400 - {_EPOCH_DAY_OFFSET} AS day, {amount} AS amount "
            f"FROM {kind} o LEFT JOIN {_PARTY_TABLE} pz ON pz.party = o.f_party_id "
            f"WHERE {where}"
        )
    else:
        purchases = (
            "SELECT o.f_party_id AS c, "
            "CAST(julianday(o.f_issued_on) - 2440587.5 AS INTEGER) AS day, "
            f"{amount} AS amount FROM {kind} o WHERE {where}"
        )
    cal = calibration_day
    params = (currency, end_day, cal, cal, cal, cal, cal, cal)
    if dialect == "PostgreSQL":
        with conn.transaction():  # room to hash the days in memory, for this statement only
            conn.execute("SET LOCAL work_mem = '256MB'")
            cursor = conn.execute(_aggregate(purchases, ph, dialect), params)
            while rows := cursor.fetchmany(10_000):
                yield from rows
    else:
        cursor = conn.execute(_aggregate(purchases, ph, dialect), params)
        while rows := cursor.fetchmany(10_000):
            yield from rows
    if dialect != "PostgreSQL" and source == "orders":
        conn.execute(f"DROP TABLE IF EXISTS {_PARTY_TABLE}")


# -- SQLite: the zones' offsets -----------------------------------------------------


def _offset_expression(conn: Any) -> str:
    """Each party's zone in a temporary table; the SQL of the offset in force at ``s``.

    The offsets over the orders' span become one ``CASE`` on the zone name with
    the transitions as text literals the stored instants compare against
    (stored as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, they sort as text):
    cheaper per row than a range join, and the instant is parsed only once.
    """
    conn.execute(f"DROP TABLE IF EXISTS {_PARTY_TABLE}")
    conn.execute(f"CREATE TABLE {_PARTY_TABLE} (party TEXT PRIMARY KEY, zone TEXT NOT NULL)")
    conn.execute(
        f"INSERT INTO {_PARTY_TABLE} (party, zone) "
        "SELECT id, json_extract(data, '$.time_zone') FROM rc_rec_party "
        "WHERE json_extract(data, '$.time_zone') IS NOT NULL "
        "AND json_extract(data, '$.time_zone') <> 'UTC'"
    )
    zones = [r[0] for r in conn.execute(f"SELECT DISTINCT zone FROM {_PARTY_TABLE}")]
    span = conn.execute("SELECT MIN(f_placed_at), MAX(f_placed_at) FROM rc_rec_order").fetchone()
    return _offset_case(zones, span, "pz.zone", lambda stop: f"'{_iso(stop)}'")


def _offset_case(
    zones: Sequence[str], span: Sequence[Any], column: str, literal: Callable[[int], str]
) -> str:
    """``CASE column WHEN zone THEN CASE WHEN o.f_placed_at < literal(stop) THEN offset ...``."""
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


def _pg_offset_expression(conn: Any) -> str:
    """The offset CASE for PostgreSQL: transitions as ``timestamptz`` literals."""
    zones = [
        r[0]
        for r in conn.execute("SELECT DISTINCT data->>'time_zone' FROM rc_rec_party").fetchall()
    ]
    span = conn.execute("SELECT MIN(f_placed_at), MAX(f_placed_at) FROM rc_rec_order").fetchone()
    return _offset_case(zones, span, "pt.zone", lambda stop: f"TIMESTAMPTZ '{_iso(stop)}+00'")


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
