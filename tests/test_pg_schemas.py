"""The tests' PostgreSQL schemas (tests/shared_fixtures.py): names that tell their age, and the sweep."""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_pg_schemas", Path(__file__).parent / "shared_fixtures.py"
)
assert _spec is not None
assert _spec.loader is not None
_pg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pg)

NOW = 1_790_000_000.0
HOUR = 3600


def _timed(seconds_ago: float, rest: str = "abc123_0_x") -> str:
    return f"rct_{int(NOW - seconds_ago)}_{rest}"


def test_timestamped_schemas_are_stale_after_three_hours_whatever_their_files_say() -> None:
    names = [_timed(3 * HOUR + 60), _timed(3 * HOUR - 60), _timed(0), "other"]
    schemas = dict.fromkeys(names, NOW)
    assert _pg.stale_schemas(schemas, NOW, others_connected=True) == [names[0]]


def test_untimed_schemas_are_stale_when_their_files_are_old() -> None:
    schemas = {"rct_1a2b3c4d_old": NOW - 4 * HOUR, "rct_1a2b3c4d_young": NOW - 60}
    for others in (True, False):
        assert _pg.stale_schemas(schemas, NOW, others_connected=others) == ["rct_1a2b3c4d_old"]


def test_untimed_schemas_of_unknown_age_go_only_when_nobody_else_is_connected() -> None:
    schemas: dict[str, float | None] = {"rct_1a2b3c4d_x": None, "rct_outbox_9f9f": None}
    assert _pg.stale_schemas(schemas, NOW, others_connected=True) == []
    assert _pg.stale_schemas(schemas, NOW, others_connected=False) == list(schemas)


@pytest.mark.postgres
def test_a_name_carries_the_session_start_and_is_per_test(
    pg_url: Callable[[str], str], pg_fresh_url: Callable[[], str]
) -> None:
    assert pg_url("a") == pg_url("a") != pg_url("b")
    assert pg_fresh_url() != pg_fresh_url()
    schema = pg_url("a").rsplit("schema=", 1)[1]
    match = re.fullmatch(r"rct_(\d{10})_[0-9a-f]{6}_\d+_a", schema)
    assert match is not None, schema
    assert abs(time.time() - int(match.group(1))) < 24 * HOUR


@pytest.mark.postgres
def test_the_sweep_drops_old_schemas_and_keeps_young_ones(pg_dsn: str) -> None:
    import psycopg

    old = f"rct_{int(time.time()) - 4 * HOUR}_sweep0_0_old"
    young = _pg.PgSchemas(pg_dsn).new("young")
    untimed = "rct_5eed5eed_just_written"  # as older test code names them; its files are new
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        for name in (old, young, untimed):
            conn.execute(f'CREATE SCHEMA "{name}"')
            conn.execute(f'CREATE TABLE "{name}".t (id int)')
    try:
        assert old in _pg.sweep_stale_schemas(pg_dsn)
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            left = {
                name
                for (name,) in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                    ([old, young, untimed],),
                ).fetchall()
            }
        assert left == {young, untimed}
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            for name in (old, young, untimed):
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.mark.postgres
def test_a_name_too_long_for_postgresql_is_refused(pg_dsn: str) -> None:
    with pytest.raises(ValueError, match="longer than 63"):
        _pg.PgSchemas(pg_dsn).new("x" * 60)
