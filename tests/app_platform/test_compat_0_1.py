"""A store written by relationship_core 0.1 (tests/fixtures/make_store_0_1.py) reads back whole."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import relationship_core as rc
from relationship_core import Actor, Invoice, Order, Retainer
from relationship_core._app.envelope import Envelope
from relationship_core._app.mapping import KindMapping

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-0.1.sqlite"


def test_a_0_1_store_reads_back_records_and_events(tmp_path: Path) -> None:
    copy = tmp_path / "store.sqlite"
    shutil.copy(FIXTURE, copy)  # opening may bring the layout up to date: never the fixture
    with rc.open(f"sqlite:///{copy}") as crm:
        ada = crm.parties.get("P-ADA")
        assert ada.name == "Ada Lovelace"
        assert crm.parties.get("P-ACME").name == "Acme Ltd"
        deal = crm.engagements.get("E-ADA")
        assert deal.party_id == "P-ADA"
        assert crm.interactions.get("I-1").summary == "kick-off"
        retainer = crm.repository(Retainer).get("R-1")
        assert retainer.party_id == "P-ACME"
        order = crm.repository(Order).get("O-1")
        assert order.status.value == "invoiced"
        invoices = list(crm.repository(Invoice).iterate())
        assert len(invoices) == 2
        assert {i.number for i in invoices} == {"INV-2026-000001", "INV-2026-000002"}
        record = crm.backend.get_many("party", ["P-ADA"])["P-ADA"]
        assert KindMapping.actor_of(record) == Actor.system()
        logged = crm.events.read_logged()
        assert len(logged) == 10
        assert not any(isinstance(e.event, rc.UnknownEvent) for e in logged)
        assert logged[0].event.name == "engagement.started"
        assert all(e.envelope == Envelope() for e in logged)  # 0.1 wrote no envelope
        # New writes on an old store carry their envelope and actor.
        with crm.unit_of_work(actor=Actor.person("u-1")) as uow:
            uow.engagements.get("E-ADA").log_interaction("email", at=logged[0].event.occurred_at)
        last = crm.events.read_logged(after=logged[-1].seq)
        assert [e.envelope.actor for e in last] == [Actor.person("u-1")]
        assert crm.interactions.last_contact("E-ADA") is not None
        assert deal.acquired_on == date(2026, 1, 5)
