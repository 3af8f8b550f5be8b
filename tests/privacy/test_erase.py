"""erase_party on every backend: the party's data gone, accounting kept, the erasure recorded."""

from __future__ import annotations

import json

import pytest

from relationship_core import open as open_store
from relationship_core._app.facade import CRM
from relationship_core._billing.invoices import Invoice
from relationship_core._domain.actor import Actor
from relationship_core._domain.parties import Person
from relationship_core._privacy import raw
from relationship_core._privacy.party_records import all_records
from relationship_core.exceptions import NotFoundError, ValidationError
from relationship_core.privacy import ERASED, erase_party, erasures, export_party, history

from .story import ANN, BEA, build


def _everything(crm: CRM) -> str:
    """Every record, event and job of the store, as one lower-cased text."""
    parts = []
    for mapping in crm.registry:
        for rec in all_records(crm.backend, mapping.kind):
            indexed = {k: str(v) for k, v in rec.indexed.items()}
            parts.append(json.dumps([rec.id, rec.data, indexed], ensure_ascii=False))
    parts.extend(json.dumps([e.aggregate_id, e.data]) for e in raw.all_events(crm.backend))
    parts.extend(
        json.dumps([j.payload, j.idempotency_key, j.last_error]) for j in raw.all_jobs(crm.backend)
    )
    return "\n".join(parts).lower()


def _needles(who: dict[str, str]) -> list[str]:
    return [
        who["name"].lower(),
        who["email"],
        who["phone"],
        "".join(c for c in who["phone"] if c.isdigit()),
    ]


def test_erase_removes_the_party_everywhere_and_keeps_the_rest(url: str) -> None:
    with open_store(url) as crm:
        story = build(crm)
        before = _everything(crm)
        assert all(n.lower() in before for n in _needles(ANN)[:3])
        dpo = Actor.person("dpo-1")
        report = erase_party(crm, story.ann, "art. 17 request 2026-041", actor=dpo)
        after = _everything(crm)
        for needle in _needles(ANN):
            assert needle.lower() not in after, needle
        assert "knee surgery" not in after  # the interaction's free text, and its event
        for needle in _needles(BEA)[:3]:
            assert needle.lower() in after, needle  # nobody else's data is touched
        # The party stays, pseudonymised; its id still joins the accounting records.
        party = crm.parties.get(story.ann)
        assert isinstance(party, Person)
        assert party.name == f"Erased party {report.pseudonym}"
        assert party.emails == ()
        assert party.phone is None
        invoice = crm.repository(Invoice).get(story.invoice)
        assert invoice.number == story.number
        assert invoice.party_id == story.ann
        assert str(invoice.total.amount) == "360.00"
        assert invoice.issued_on is not None
        assert str(invoice.lines[0].tax_rate) == "0.20"
        assert invoice.lines[0].description == ERASED
        assert crm.interactions.get(story.interaction).summary == ERASED
        # Pending jobs and schedules for the party are cancelled.
        job = crm.jobs.get(story.job)
        assert job is not None
        assert job.state == "cancelled"
        assert job.idempotency_key is not None
        assert job.idempotency_key.startswith("erased:")
        assert crm.schedules.get(story.schedule).state == "cancelled"
        assert report.jobs_cancelled >= 2  # the job and the schedule's occurrence
        # The erasure is recorded, without the erased data.
        [done] = erasures(crm)
        assert (done.party_id, done.actor, done.reason) == (story.ann, dpo, report.reason)
        assert done.records["party"] == 1
        assert done.records["interaction"] == 1
        assert report.actor == dpo
        assert report.deleted == {}
        # The party's history shows who wrote its last version.
        assert history(crm, "party", story.ann)[-1].actor == dpo


def test_erasing_twice_is_safe_and_unknown_parties_are_refused(url: str) -> None:
    with open_store(url) as crm:
        story = build(crm)
        erase_party(crm, story.ann, "request")
        again = erase_party(crm, story.ann, "request, checked")
        assert again.redacted == {}
        assert again.events == 0
        assert len(erasures(crm)) == 2
        with pytest.raises(NotFoundError):
            erase_party(crm, "no-such-party", "request")
        with pytest.raises(ValidationError, match="reason"):
            erase_party(crm, story.ann, "")


def test_export_holds_everything_about_the_party_and_nobody_else(url: str) -> None:
    with open_store(url) as crm:
        story = build(crm)
        export = export_party(crm, story.ann)
        text = export.to_json()
        doc = json.loads(text)
        assert doc["party"]["name"] == ANN["name"]
        assert doc["party"]["phone"] == ANN["phone"]
        records = doc["records"]
        assert [r["id"] for r in records["engagement"]] == [story.engagement]
        assert [r["id"] for r in records["interaction"]] == [story.interaction]
        assert [r["id"] for r in records["invoice"]] == [story.invoice]
        assert [r["id"] for r in records["schedule"]] == [story.schedule]
        assert story.job in [j["id"] for j in doc["jobs"]]
        assert {e["type"] for e in doc["events"]} >= {"engagement.started", "interaction.logged"}
        for needle in (*_needles(BEA)[:3], story.bea, "beatrix"):
            assert needle.lower() not in text.lower(), needle
        assert ANN["name"] in export.summary
        assert "1 interaction record(s)" in export.summary


def test_erasing_releases_the_partys_unique_email_keys(url: str) -> None:
    """With the unique e-mail key on, an erased party no longer holds its addresses."""
    with open_store(url, config={"core": {"unique_emails": True}}) as crm:
        story = build(crm)
        erase_party(crm, story.ann, "art. 17", actor=Actor.person("dpo-1"))
        # The address is free again: a new party may claim it, and only that one is found.
        newcomer = crm.parties.add(Person(name="Someone New", emails=[ANN["email"]]))
        assert [p.id for p in crm.parties.search_email(ANN["email"]).items] == [newcomer.id]
        assert crm.parties.get(story.ann).emails == ()
