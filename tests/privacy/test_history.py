"""Who changed what: every version of a record, with actor, time and the fields it changed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core._domain.actor import Actor
from relationship_core.privacy import (
    DEFAULT_RETENTION,
    VERSIONS,
    Change,
    FieldChange,
    RetentionPolicy,
    apply_retention,
    erase_party,
    export_party,
    history,
    merge_parties,
    undo_merge,
)
from relationship_core.web import SignIn
from relationship_core.web._kinds import SIGN_INS

from .story import build

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLERK, DPO = Actor.person("clerk-7"), Actor.person("dpo-1")


def _rename(crm: rc.CRM, pid: str, name: str, actor: Actor, **more: Any) -> None:
    with crm.unit_of_work(actor) as uow:
        party = uow.parties.get(pid)
        party.name = name
        for key, value in more.items():
            setattr(party, key, value)


def test_each_version_has_its_actor_time_and_changed_fields(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ann = rc.Person(name="Ann", emails=["ann@example.org"])
        with crm.unit_of_work(CLERK) as uow:
            uow.parties.add(ann)
        clock.advance(timedelta(hours=1))
        _rename(crm, ann.id, "Ann B", DPO, phone="+44 20 7946 0001")
        clock.advance(timedelta(hours=1))
        _rename(crm, ann.id, "Ann C", CLERK)
        versions = history(crm, "party", ann.id, events=False)
        assert [(c.event, c.version, c.actor, c.at) for c in versions] == [
            ("version 1", 1, CLERK, T0),
            ("version 2", 2, DPO, T0 + timedelta(hours=1)),
            ("version 3", 3, CLERK, T0 + timedelta(hours=2)),
        ]
        assert versions[0].changes["name"] == FieldChange(None, "Ann")
        assert versions[1].changes == {
            "name": FieldChange("Ann", "Ann B"),
            "phone": FieldChange(None, "+44 20 7946 0001"),
        }
        assert versions[2].changes == {"name": FieldChange("Ann B", "Ann C")}
        assert versions[2].fields["name"] == "Ann C"  # the whole document, as before
        assert all(c.seq is None for c in versions)
        # With the events (the default) the stored version is still the last entry.
        everything = history(crm, "party", ann.id)
        assert everything[-1] == versions[-1]
        assert [c for c in everything if c.seq is None] == versions


def test_a_deletion_ends_a_life_and_an_undone_merge_starts_the_next(url: str) -> None:
    with rc.open(url) as crm:
        bob = rc.Person(name="Bob", emails=["bob@example.org"])
        twin = rc.Person(name="B. Other", emails=["BOB@example.org"])
        crm.parties.add(bob)
        crm.parties.add(twin)
        _rename(crm, twin.id, "Bob Other", CLERK)
        merge = merge_parties(crm, bob.id, twin.id, actor=DPO)
        assert crm.parties.find(twin.id) is None
        gone = history(crm, "party", twin.id, events=False)  # deleted, its history kept
        assert [(c.event, c.version) for c in gone] == [
            ("version 1", 1),
            ("version 2", 2),
            ("deleted", 2),
        ]
        assert gone[-1].changes["name"] == FieldChange("Bob Other", None)
        undo_merge(crm, merge.id, actor=CLERK)
        back = history(crm, "party", twin.id, events=False)
        assert [(c.event, c.version) for c in back] == [
            ("version 1", 1),
            ("version 2", 2),
            ("deleted", 2),
            ("version 1", 1),
        ]
        assert back[-1].changes["name"] == FieldChange(None, "Bob Other")  # a new life
        assert back[-1].actor == CLERK  # restored by the one who undid the merge
        [merged] = history(crm, "party_merge", merge.id, events=False)[-1:]
        assert merged.actor == CLERK
        assert history(crm, "party_merge", merge.id, events=False)[0].actor == DPO


def test_a_backend_without_versions_shows_the_current_version_and_events() -> None:
    with rc.open("memory://") as crm:
        ann = rc.Person(name="Ann")
        crm.parties.add(ann)
        _rename(crm, ann.id, "Ann B", CLERK)
        backend: Any = crm.backend
        backend.capabilities = backend.capabilities - {"versions"}
        [only] = history(crm, "party", ann.id, events=False)
        assert isinstance(only, Change)
        assert (only.event, only.actor, only.changes["name"]) == (
            "version 2",
            CLERK,
            FieldChange(None, "Ann B"),
        )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(
        st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12),
        min_size=1,
        max_size=6,
    ),
    phones=st.lists(st.sampled_from([None, "+44 20 7946 0001", "+1 202 555 0187"]), max_size=6),
)
def test_history_of_random_updates_reconstructs_every_version(
    names: list[str], phones: list[str | None]
) -> None:
    with rc.open("memory://") as crm:
        ann = rc.Person(name="first")
        crm.parties.add(ann)
        written = [crm.backend.get_many("party", [ann.id])[ann.id].data]
        for n, name in enumerate(names):
            phone = phones[n] if n < len(phones) else None
            _rename(crm, ann.id, name, CLERK, phone=phone)
            stored = crm.backend.get_many("party", [ann.id])[ann.id]
            if stored.version > len(written):  # an unchanged object writes no version
                written.append(stored.data)
        versions = history(crm, "party", ann.id, events=False)
        doc: dict[str, Any] = {}
        rebuilt = []
        for change in versions:  # replaying the changes alone gives every version back
            for key, field in change.changes.items():
                assert doc.get(key) == field.old
                doc[key] = field.new
            rebuilt.append(dict(doc))
        expected = [
            {k: v for k, v in d.items() if k not in ("_actor", "_written_at")} for d in written
        ]
        assert rebuilt == expected
        assert [c.fields for c in versions] == expected
        assert [c.version for c in versions] == list(range(1, len(written) + 1))


def test_erasure_forgets_old_versions_and_old_addresses(url: str, tmp_path: Path) -> None:
    with rc.open(url) as crm:
        ann = rc.Person(name="Annabel Quixote", emails=["old.ann@example.org"])
        crm.parties.add(ann)
        _rename(crm, ann.id, "Annabel Quixote", CLERK, emails=["annabel.q@example.org"])
        note = rc.Person(name="Ref (ex old.ann@example.org)")  # the address Ann had once
        crm.parties.add(note)
        assert len(crm.backend.versions("party", ann.id)) == 1  # type: ignore[attr-defined]
        exported = export_party(crm, ann.id).document
        [old] = exported["versions"]["party"][ann.id]
        assert old["data"]["emails"] == ["old.ann@example.org"]
        assert old["written_by"] == {"kind": "system", "id": None}
        report = erase_party(crm, ann.id, "request", actor=DPO)
        assert report.versions >= 2  # the first version and the one the redaction replaced
        assert crm.backend.versions("party", ann.id) == []  # type: ignore[attr-defined]
        assert "old.ann@example.org" not in crm.parties.get(note.id).name
        [last] = history(crm, "party", ann.id, events=False)
        assert last.actor == DPO
        assert "annabel" not in str(last.fields).lower()


def test_erasure_finds_records_deleted_or_edited_since_they_named_the_party(url: str) -> None:
    with rc.open(url) as crm:
        ann = rc.Person(name="Annabel Quixote", emails=["annabel.q@example.org"])
        gone = rc.Person(name="Friend of Annabel Quixote")
        edited = rc.Person(name="Asked for annabel.q@example.org")
        for p in (ann, gone, edited):
            crm.parties.add(p)
        with crm.unit_of_work(CLERK) as uow:
            uow.parties.delete(uow.parties.get(gone.id))
        _rename(crm, edited.id, "Someone else", CLERK)
        backend: Any = crm.backend
        assert backend.versions("party", gone.id)[-1].deleted
        exported = export_party(crm, ann.id).document["versions"]["party"]
        assert {gone.id, edited.id} <= set(exported)
        erase_party(crm, ann.id, "request")
        assert backend.versions("party", gone.id) == []
        assert backend.versions("party", edited.id) == []
        text = str(backend.read_versions(0, 1000)).lower()
        assert "annabel" not in text
        assert crm.parties.get(edited.id).name == "Someone else"


def test_the_sqlite_versions_table_holds_no_trace_after_erasure(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    with rc.open(f"sqlite:///{db}") as crm:
        ann = rc.Person(name="Annabel Quixote", emails=["annabel.q@example.org"])
        crm.parties.add(ann)
        for n in range(3):
            _rename(crm, ann.id, f"Annabel Quixote {n}", CLERK)
        rows = sqlite3.connect(db).execute("SELECT data FROM rc_versions").fetchall()
        assert sum("Annabel" in r[0] for r in rows) == 3
        erase_party(crm, ann.id, "request")
        rows = sqlite3.connect(db).execute("SELECT data FROM rc_versions").fetchall()
        assert not any("Annabel" in r[0] or "annabel.q" in r[0] for r in rows)


def test_retention_prunes_old_versions_and_expired_sign_ins(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ann = rc.Person(name="Ann", emails=["ann@example.org"])
        crm.parties.add(ann)
        _rename(crm, ann.id, "Ann B", CLERK)
        link = SignIn(
            id="ab" * 32,
            party_id=ann.id,
            email="ann@example.org",
            created_at=T0,
            expires_at=T0 + timedelta(minutes=15),
        )
        crm.repository(SIGN_INS).add(link)
        with crm.unit_of_work() as uow:
            uow.repository(SIGN_INS).get(link.id).used_at = T0 + timedelta(minutes=1)
        assert len(crm.backend.versions("web_sign_in", link.id)) == 1  # type: ignore[attr-defined]
        soon = apply_retention(crm, now=T0 + timedelta(days=29))
        assert (soon.deleted, soon.versions) == ({}, 0)
        assert crm.repository(SIGN_INS).find(link.id) is not None
        later = apply_retention(crm, now=datetime.now(UTC) + timedelta(days=31))
        assert later.deleted == {"web_sign_in": 1}
        assert crm.repository(SIGN_INS).find(link.id) is None
        # The sign-in's versions went with it; the party's are younger than two years.
        assert crm.backend.versions("web_sign_in", link.id) == []  # type: ignore[attr-defined]
        assert len(crm.backend.versions("party", ann.id)) == 1  # type: ignore[attr-defined]
        policy = next(p for p in DEFAULT_RETENTION if p.kind == VERSIONS)
        assert policy.keep_for == timedelta(days=730)
        old = apply_retention(crm, [policy], now=datetime.now(UTC) + timedelta(days=731))
        assert old.versions == 1
        assert crm.backend.versions("party", ann.id) == []  # type: ignore[attr-defined]
        assert crm.parties.get(ann.id).name == "Ann B"  # the current version stays


def test_a_rewritten_record_forgets_the_text_retention_emptied(url: str) -> None:
    with rc.open(url) as crm:
        story = build(crm)
        backend: Any = crm.backend
        mapping = crm.registry.get("interaction")
        record = backend.get_many("interaction", [story.interaction])[story.interaction]
        note = attrs.evolve(mapping.from_record(record), summary="Annabel called back")
        with backend.transaction() as tx:  # an interaction is immutable: rewritten by hand
            tx.put_many([mapping.to_write(note, record.version, actor=CLERK)])
        assert len(backend.versions("interaction", story.interaction)) == 1
        notes = RetentionPolicy("interaction", timedelta(days=1), ("summary",), "occurred_at")
        versions = RetentionPolicy(VERSIONS, timedelta(days=3650))
        report = apply_retention(crm, [notes, versions], now=T0 + timedelta(days=2))
        assert report.records == {"interaction": 2}
        assert backend.versions("interaction", story.interaction) == []
        assert report.versions == 3  # the hand-made one and the two the rewrites kept


def test_a_layout_5_store_is_brought_up_to_6(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    url = f"sqlite:///{db}"
    with rc.open(url) as crm:
        crm.parties.add(rc.Person(name="Ann"))
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE rc_versions")
    conn.execute("UPDATE rc_schema_version SET version = 5 WHERE component = 'layout'")
    conn.commit()
    conn.close()
    assert "storage layout migrated to version 6" in rc.migrate(url)
    with rc.open(url) as crm:
        [ann] = list(crm.parties.iterate())
        _rename(crm, ann.id, "Ann B", CLERK)
        assert [c.event for c in history(crm, "party", ann.id, events=False)] == [
            "version 1",
            "version 2",
        ]
    conn = sqlite3.connect(db)
    [(layout,)] = conn.execute(
        "SELECT version FROM rc_schema_version WHERE component = 'layout'"
    ).fetchall()
    conn.close()
    assert layout == 6


@pytest.mark.parametrize("kind", ["rule_audit", "web_rate_window", "web_sign_in"])
def test_deleting_policies_prune_their_kinds_versions(kind: str) -> None:
    assert any(p.kind == kind and p.delete for p in DEFAULT_RETENTION)
