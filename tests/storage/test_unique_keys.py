"""Unique keys across processes, and a layout-2 store upgraded to layout 3.

Two processes released by one barrier claim the same e-mail address round
after round: in every round exactly one wins and the other gets
`UniqueKeyConflictError` naming the winner.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import pytest

from relationship_core.exceptions import UniqueKeyConflictError, ValidationError
from relationship_core.plugins import KindSpec, Schema, Write, get_plugin_manager

SCHEMA = Schema([KindSpec("contact", {"name": "str"}, unique=("email",))])
ROUNDS = 8


def _racer(url: str, me: str, barrier: Any, results: Any) -> None:
    store = get_plugin_manager().open_backend(url, SCHEMA)
    try:
        for n in range(ROUNDS):
            barrier.wait(timeout=30)
            try:
                with store.transaction() as tx:
                    rid = f"{me}-{n}"
                    tx.put_many(
                        [Write("contact", rid, {}, {"name": me}, keys={"email": [f"R{n}@x.org"]})]
                    )
                results.put((n, me, "won", ""))
            except UniqueKeyConflictError as err:
                results.put((n, me, "lost", err.holder))
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "sqlite":
        return sqlite_url("race")
    return request.getfixturevalue("pg_url")("unique_race")  # type: ignore[no-any-return]


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_two_processes_claiming_one_value_exactly_one_wins(url: str) -> None:
    get_plugin_manager().open_backend(url, SCHEMA).close()  # create the layout once
    ctx = multiprocessing.get_context("fork")  # spawn cannot import a test module by name
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(url, me, barrier, results)) for me in "ab"]
    for p in procs:
        p.start()
    got = [results.get(timeout=20) for _ in range(2 * ROUNDS)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for n in range(ROUNDS):
        outcome = sorted((r[2], r[1], r[3]) for r in got if r[0] == n)
        assert [o[0] for o in outcome] == ["lost", "won"], outcome
        (_, loser, holder), (_, winner, _) = outcome
        assert loser != winner
        assert holder in ("", f"{winner}-{n}")  # "" only if the winner was not visible yet
    store = get_plugin_manager().open_backend(url, SCHEMA)
    try:
        from relationship_core.plugins import Query

        assert len(store.query(Query("contact", limit=100)).records) == ROUNDS
    finally:
        store.close()


def test_layout_2_sqlite_store_is_upgraded_to_3(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("layouttwo")
    store = get_plugin_manager().open_backend(url, SCHEMA)
    with store.transaction() as tx:
        tx.put_many([Write("contact", "old", {}, {"name": "old"})])
    store.close()
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # make it a layout-2 store, as written before this change
        conn.execute("DROP TABLE rc_unique")
        conn.execute("UPDATE rc_schema_version SET version = 2 WHERE component = 'layout'")
    conn.close()
    store = get_plugin_manager().open_backend(url, SCHEMA)
    try:
        assert "storage layout migrated to version 3" in store.schema_changes  # type: ignore[attr-defined]
        assert set(store.get_many("contact", ["old"])) == {"old"}
        with store.transaction() as tx:
            tx.put_many(
                [Write("contact", "old", {}, {"name": "old"}, 1, keys={"email": ["o@x.org"]})]
            )
        with pytest.raises(UniqueKeyConflictError), store.transaction() as tx:
            tx.put_many([Write("contact", "new", {}, {"name": "n"}, keys={"email": ["O@x.org"]})])
    finally:
        store.close()


def test_a_mapping_declares_unique_keys_its_writes_claim() -> None:
    import attrs

    from relationship_core import KindMapping

    @attrs.define
    class Member:
        id: str
        emails: list[str]

    members = KindMapping("member", Member, unique={"email": lambda m: m.emails})
    assert members.kind_spec().unique == ("email",)
    store = get_plugin_manager().open_backend("memory://", Schema([members.kind_spec()]))
    with store.transaction() as tx:
        tx.put_many([members.to_write(Member("m1", ["A@x.org", "b@x.org"]), None)])
    with pytest.raises(UniqueKeyConflictError) as err, store.transaction() as tx:
        tx.put_many([members.to_write(Member("m2", ["B@X.org"]), None)])
    assert (err.value.key, err.value.value, err.value.holder) == ("email", "b@x.org", "m1")
    with pytest.raises(ValidationError):
        KindMapping("member", Member, unique={"email": "not callable"})
    with pytest.raises(ValidationError):
        KindMapping("member", Member, unique={"Bad Key": lambda m: m.emails})
    store.close()
