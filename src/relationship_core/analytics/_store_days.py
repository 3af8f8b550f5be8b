"""Each order's local purchase day, kept in the order's row for the in-database summary.

Why: the summary groups purchases by customer and *local* day. Computing the
day per row at query time (parse the instant, find the zone's offset) and then
sorting the purchases by (customer, day) was almost all of its time. Keeping
the day in the row and one covering index on (party, day, currency, status,
total, refunded) lets the database read the purchases already in
(customer, day) order, from the index alone.

The day depends on the order's instant and on its party's zone, which the
order's own mapping cannot see, so the analytics package keeps it, not the
mapping, in its own column ``a_local_day`` of ``rc_rec_order`` (the store's
writes never name it):

* a new order is stored with no day (``NULL``); the next summary fills the
  days still missing, with the same zone offsets as before (`zoneinfo`), in
  one ``UPDATE`` found through a partial index on the unfilled rows;
* triggers forget a day when it may be wrong: an order whose instant or party
  changes, and every order of a party whose ``time_zone`` changes, or that is
  added or removed (so a removed and re-added party's orders are recomputed);
  the next summary refills them. Writes pay for this: one more index on
  orders, and a trigger on order and party writes (a comparison, and on a
  zone change one indexed ``UPDATE`` of that party's orders).

The first summary on a store adds the column, the indexes and the triggers
and fills every day (as ``migrate`` fills a new indexed field); later ones
fill only what is missing. Invoices need none of this: their day is their
issue date, already a local date, so they only get the covering index.
"""

from __future__ import annotations

from typing import Any

from relationship_core.analytics._store_sql import (
    DAY,
    EPOCH_DAY_OFFSET,
    Source,
    offset_case,
    order_span,
)

__all__ = ["needs_preparing", "prepare"]

_ORDER_INDEX = "rc_ax_order_summary"
_UNFILLED_INDEX = "rc_ax_order_unfilled"
_INVOICE_INDEX = "rc_ax_invoice_summary"
_ORDER_COLUMNS = f"f_party_id, {DAY}, f_currency, f_status, f_total, f_refunded"
_INVOICE_COLUMNS = "f_party_id, f_issued_on, f_currency, f_status, f_total"
_ZONES = "temp.rc_ax_party_zones"
_TRIGGERS = ("rc_ax_order_moved", "rc_ax_party_zone", "rc_ax_party_added", "rc_ax_party_removed")
_PG_TRIGGERS = ("rc_ax_order_moved", "rc_ax_party_zone", "rc_ax_party_added")

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS rc_ax_order_moved
AFTER UPDATE OF f_placed_at, f_party_id ON rc_rec_order
WHEN old.f_placed_at IS NOT new.f_placed_at OR old.f_party_id IS NOT new.f_party_id
BEGIN UPDATE rc_rec_order SET {DAY} = NULL WHERE id = new.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS rc_ax_party_zone AFTER UPDATE OF data ON rc_rec_party
WHEN json_extract(old.data, '$.time_zone') IS NOT json_extract(new.data, '$.time_zone')
BEGIN UPDATE rc_rec_order SET {DAY} = NULL WHERE f_party_id = new.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS rc_ax_party_added AFTER INSERT ON rc_rec_party
BEGIN UPDATE rc_rec_order SET {DAY} = NULL
WHERE f_party_id = new.id AND {DAY} IS NOT NULL; END""",
    f"""CREATE TRIGGER IF NOT EXISTS rc_ax_party_removed AFTER DELETE ON rc_rec_party
BEGIN UPDATE rc_rec_order SET {DAY} = NULL
WHERE f_party_id = old.id AND {DAY} IS NOT NULL; END""",
)


def _pg_triggers(schema: str) -> tuple[str, ...]:
    orders = f'"{schema}".rc_rec_order'
    return (
        f"""CREATE OR REPLACE FUNCTION "{schema}".rc_ax_order_moved() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN NEW.{DAY} := NULL; RETURN NEW; END $$""",
        f"""CREATE OR REPLACE TRIGGER rc_ax_order_moved
BEFORE UPDATE OF f_placed_at, f_party_id ON {orders} FOR EACH ROW
WHEN (OLD.f_placed_at IS DISTINCT FROM NEW.f_placed_at
      OR OLD.f_party_id IS DISTINCT FROM NEW.f_party_id)
EXECUTE FUNCTION "{schema}".rc_ax_order_moved()""",
        f"""CREATE OR REPLACE FUNCTION "{schema}".rc_ax_party_zone() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN
  UPDATE {orders} SET {DAY} = NULL
  WHERE f_party_id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)
    AND {DAY} IS NOT NULL;
  RETURN NULL;
END $$""",
        f"""CREATE OR REPLACE TRIGGER rc_ax_party_zone AFTER UPDATE OF data
ON "{schema}".rc_rec_party FOR EACH ROW
WHEN (OLD.data->>'time_zone' IS DISTINCT FROM NEW.data->>'time_zone')
EXECUTE FUNCTION "{schema}".rc_ax_party_zone()""",
        f"""CREATE OR REPLACE TRIGGER rc_ax_party_added AFTER INSERT OR DELETE
ON "{schema}".rc_rec_party FOR EACH ROW EXECUTE FUNCTION "{schema}".rc_ax_party_zone()""",
    )


def needs_preparing(conn: Any, dialect: str, source: Source) -> bool:
    """True if the column, indexes or triggers are missing, or some order has no day."""
    if dialect == "PostgreSQL":
        found = conn.execute(
            "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname IN (%s, %s, %s)), (SELECT count(*) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = "
            "current_schema()::regnamespace AND t.tgname = ANY(%s))",
            (_ORDER_INDEX, _UNFILLED_INDEX, _INVOICE_INDEX, list(_PG_TRIGGERS)),
        ).fetchone()
        ready = found[0] == 3 and found[1] == len(_PG_TRIGGERS)
    else:
        names = (_ORDER_INDEX, _UNFILLED_INDEX, _INVOICE_INDEX, *_TRIGGERS)
        marks = ", ".join("?" * len(names))
        (count,) = conn.execute(
            f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", names
        ).fetchone()
        ready = count == len(names)
    if not ready:
        return True
    if source == "invoices":
        return False
    by = "" if dialect == "PostgreSQL" else f" INDEXED BY {_UNFILLED_INDEX}"
    missing = conn.execute(f"SELECT 1 FROM rc_rec_order{by} WHERE {DAY} IS NULL LIMIT 1")
    return missing.fetchone() is not None


def prepare(conn: Any, dialect: str) -> int:
    """Add what is missing (column, indexes, triggers) and fill the missing days.

    Runs inside the caller's write transaction; returns how many days it filled.
    The first time, the days are filled before the indexes are built (one sort
    per index, not an index update per row).
    """
    if dialect == "PostgreSQL":
        (schema,) = conn.execute("SELECT current_schema()").fetchone()
        conn.execute(f"ALTER TABLE rc_rec_order ADD COLUMN IF NOT EXISTS {DAY} integer")
        for statement in _pg_triggers(schema):
            conn.execute(statement)
    else:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(rc_rec_order)")}
        if DAY not in columns:
            conn.execute(f"ALTER TABLE rc_rec_order ADD COLUMN {DAY} INTEGER")
        for statement in _SQLITE_TRIGGERS:
            conn.execute(statement)
    filled = _fill(conn, dialect)
    conn.execute(f"CREATE INDEX IF NOT EXISTS {_ORDER_INDEX} ON rc_rec_order ({_ORDER_COLUMNS})")
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {_UNFILLED_INDEX} ON rc_rec_order (id) WHERE {DAY} IS NULL"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {_INVOICE_INDEX} ON rc_rec_invoice ({_INVOICE_COLUMNS})"
    )
    return filled


def _fill(conn: Any, dialect: str) -> int:
    """Compute the missing days: the instant plus the zone's offset then, floored to a day."""
    unfilled = f"o.{DAY} IS NULL"
    span = order_span(conn, unfilled)
    if span[0] is None:
        return 0
    if dialect == "PostgreSQL":
        zones = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT data->>'time_zone' FROM rc_rec_party "
                "WHERE data->>'time_zone' IS NOT NULL"
            ).fetchall()
        ]
        zone = "(SELECT p.data->>'time_zone' FROM rc_rec_party p WHERE p.id = o.f_party_id)"
        offset = offset_case(zones, span, zone, dialect)
        day = f"floor((extract(epoch FROM o.f_placed_at) + {offset}) / 86400)::int"
    else:
        conn.execute(f"DROP TABLE IF EXISTS {_ZONES}")
        conn.execute(f"CREATE TEMP TABLE {_ZONES} (party TEXT PRIMARY KEY, zone TEXT NOT NULL)")
        conn.execute(  # one JSON read per party, not per order
            f"INSERT INTO {_ZONES} (party, zone) SELECT id, json_extract(data, '$.time_zone') "
            "FROM rc_rec_party WHERE json_extract(data, '$.time_zone') IS NOT NULL "
            "AND json_extract(data, '$.time_zone') <> 'UTC'"
        )
        zones = [r[0] for r in conn.execute(f"SELECT DISTINCT zone FROM {_ZONES}")]
        zone = f"(SELECT z.zone FROM {_ZONES} z WHERE z.party = o.f_party_id)"
        offset = offset_case(zones, span, zone, dialect)
        seconds = "CAST(strftime('%s', substr(o.f_placed_at, 1, 19)) AS INTEGER)"
        shift = EPOCH_DAY_OFFSET * 86400
        day = f"({seconds} + {offset} + {shift}) / 86400 - {EPOCH_DAY_OFFSET}"
    filled = int(
        conn.execute(f"UPDATE rc_rec_order AS o SET {DAY} = {day} WHERE {unfilled}").rowcount
    )
    if dialect != "PostgreSQL":
        conn.execute(f"DROP TABLE IF EXISTS {_ZONES}")
    return filled
