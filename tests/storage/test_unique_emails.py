"""The parties' unique e-mail key: opt-in, enforced on every backend and under a race, enabled safely."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from typing import Any

import pytest

import relationship_core as rc
from relationship_core import EmailAddress, Person
from relationship_core._cli import main
from relationship_core.exceptions import UniqueKeyConflictError, ValidationError

ON = {"core": {"unique_emails": True}}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return sqlite_url(request.node.name[:40])
    made: str = request.getfixturevalue("pg_url")(f"ue_{request.node.originalname[5:30]}")
    return made


def test_a_second_party_claiming_an_address_fails_naming_key_and_holder(url: str) -> None:
    with rc.open(url, config=ON) as crm:
        ada = crm.parties.add(Person(name="Ada", emails=["Ada@Example.org", "ada@work.example"]))
        with pytest.raises(UniqueKeyConflictError) as caught:
            crm.parties.add(Person(name="Imposter", emails=["  ADA@example.ORG "]))
        assert caught.value.key == "email"
        assert caught.value.value == "ada@example.org"
        assert caught.value.holder == ada.id
        assert ada.id in str(caught.value)
        assert [p.name for p in crm.parties.search("imp")] == []  # nothing was written
        moved = crm.parties.get(ada.id)
        moved.emails = (EmailAddress("ada@new.example"),)
        crm.parties.update(moved)  # the old addresses are released
        crm.parties.add(Person(name="Bea", emails=["ada@example.org"]))
        with pytest.raises(UniqueKeyConflictError):
            crm.parties.add(Person(name="Cy", emails=["Ada@New.example"]))


def test_off_by_default_duplicates_are_allowed(url: str) -> None:
    with rc.open(url) as crm:
        crm.parties.add(Person(name="Ada", emails=["ada@example.org"]))
        crm.parties.add(Person(name="Ada too", emails=["ADA@example.org"]))
        assert len(list(crm.parties.search_email("ada@"))) == 2


def test_a_bad_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="unique_emails"):
        rc.open("memory://", config={"core": {"unique_emails": "yes"}})


def test_enabling_on_a_store_with_duplicates_lists_them_and_changes_nothing(
    sqlite_url: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url("enable")
    with rc.open(url) as crm:
        one = crm.parties.add(Person(name="One", emails=["dup@example.org"]))
        two = crm.parties.add(Person(name="Two", emails=["x@example.org", " DUP@example.org"]))
        crm.parties.add(Person(name="Three", emails=["three@example.org"]))
    assert main(["migrate", url, "--unique-emails"]) == 1
    out = capsys.readouterr().out
    assert "NOT enabled" in out
    assert f"dup@example.org: {', '.join(sorted([one.id, two.id]))}" in out
    with rc.open(url, config=ON) as crm:  # nothing claimed: a third duplicate still gets in
        crm.parties.add(Person(name="Four", emails=["three@example.org"]))
        assert rc.duplicate_emails(crm.backend) == {
            "dup@example.org": tuple(sorted([one.id, two.id])),
            "three@example.org": tuple(sorted(p.id for p in crm.parties.search_email("three@"))),
        }
        for p in crm.parties.search_email("three@"):
            if p.name == "Four":
                crm.parties.delete(p)
        fixed = crm.parties.get(two.id)
        fixed.emails = (EmailAddress("x@example.org"),)
        crm.parties.update(fixed)
    assert main(["migrate", url, "--unique-emails"]) == 0
    assert "addresses of 3 parties claimed" in capsys.readouterr().out
    with rc.open(url, config=ON) as crm:
        with pytest.raises(UniqueKeyConflictError) as caught:
            crm.parties.add(Person(name="Five", emails=["DUP@example.org"]))
        assert caught.value.holder == one.id
    assert "claimed" in rc.migrate(url, unique_emails=True)  # safe to run again


def test_enable_needs_the_setting() -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError, match="unique_emails"):
        rc.enable_unique_emails(crm)


ROUNDS = 6


def _racer(url: str, me: str, barrier: Any, results: Any) -> None:
    with rc.open(url, config=ON) as crm:
        for n in range(ROUNDS):
            barrier.wait(timeout=30)
            try:
                party = crm.parties.add(Person(name=f"{me}{n}", emails=[f"Race{n}@example.org"]))
                results.put((n, me, "won", party.id))
            except UniqueKeyConflictError as err:
                results.put((n, me, "lost", err.holder))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def race_url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "sqlite":
        return sqlite_url("email_race")
    made: str = request.getfixturevalue("pg_url")("email_race")
    return made


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_two_processes_adding_one_address_exactly_one_wins(race_url: str) -> None:
    rc.open(race_url, config=ON).close()  # create the layout once
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(race_url, me, barrier, results)) for me in "ab"]
    for p in procs:
        p.start()
    got = [results.get(timeout=60) for _ in range(2 * ROUNDS)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for n in range(ROUNDS):
        outcome = sorted((r[2], r[3]) for r in got if r[0] == n)
        assert [o[0] for o in outcome] == ["lost", "won"], outcome
        assert outcome[0][1] in ("", outcome[1][1])  # the holder named is the winner
    with rc.open(race_url, config=ON) as crm:
        assert len(list(crm.parties.search_email("race", limit=100))) == ROUNDS
