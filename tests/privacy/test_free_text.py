"""Free text other features store about a party: gone after `erase_party`, others' kept.

The rule audit's recorded condition values, outbox messages (queued and
delivered, also those addressed to the party without naming its id),
discovery notes, requirement documents, comments and survey answers: each
holds the party's name, e-mail or phone, and a private detail ("knee") that
no identifier scrub would find. After the erasure neither is left.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import relationship_core as rc
from relationship_core._app.outbox.stored import NOTIFICATIONS, StoredNotification
from relationship_core._privacy import raw
from relationship_core._rules.audit import RULE_AUDITS, FailedCondition, FailedRule, RuleAudit
from relationship_core._storage.contract import Query
from relationship_core._support.csat import Answer, Survey
from relationship_core._support.forms import FormSubmission
from relationship_core._support.tickets import Ticket
from relationship_core._work.comments import AuthorKind, Comment, SubjectKind, Visibility
from relationship_core._work.kinds import COMMENTS, DISCOVERY_NOTES, REQUIREMENTS
from relationship_core._work.requirements import DiscoveryNote, RequirementDocument
from relationship_core.importing import import_csv
from relationship_core.privacy import ERASED, erase_party

from .story import ANN, BEA, T0, Story, build

KINDS = ("rule_audit", "notification", "discovery_note", "requirement", "comment", "survey")
PRIVATE = "knee"


def _audit(n: int, subject: str, value: str) -> RuleAudit:
    condition = FailedCondition("party.name == 'x'", (("party.name", value),))
    return RuleAudit(
        id=f"audit-{n}",
        event_id=f"ev-{n}",
        event_type="party.updated",
        subject=subject,
        at=T0,
        ruleset_version="v1",
        considered=("vip",),
        failed=(FailedRule("vip", (condition,)),),
    )


def _message(n: int, who: dict[str, str], text: str, status: str) -> StoredNotification:
    return StoredNotification(
        id=f"note-{n}",
        channel="mail",
        event_type="ticket.opened",
        subject=f"About your {PRIVATE}" if who is ANN else "Hello",
        text=text,
        created_at=T0,
        address=who["email"],
        status=status,
    )


def _fill(crm: rc.CRM, story: Story) -> None:
    bea_engagement = next(e for e in crm.engagements.iterate() if e.party_id == story.bea)
    with crm.unit_of_work() as uow:
        audits = uow.repository(RULE_AUDITS)
        audits.add(_audit(1, story.ann, f"'{ANN['name']}'"))
        audits.add(
            _audit(2, story.engagement, f"'{PRIVATE} surgery'")
        )  # filed under her engagement
        audits.add(_audit(3, story.bea, f"'{BEA['name']}'"))
        outbox = uow.repository(NOTIFICATIONS)
        outbox.add(_message(1, ANN, f"Your {PRIVATE} appointment", "queued"))
        outbox.add(_message(2, ANN, f"Dear {ANN['name']}, about the {PRIVATE}", "sent"))
        outbox.add(_message(3, BEA, "Your invoice is ready", "sent"))
        uow.repository(DISCOVERY_NOTES).add(
            DiscoveryNote(
                engagement_id=story.engagement,
                interaction_ids=(story.interaction,),
                text=f"Her {PRIVATE} is better; call {ANN['phone']}",
                by="clerk-7",
                at=T0,
            )
        )
        uow.repository(REQUIREMENTS).add(
            RequirementDocument.create(
                story.engagement,
                {
                    "scope": f"A ramp: the {PRIVATE}",
                    f"{ANN['name']} wishes": "quiet",
                    f"{PRIVATE} notes": "a ramp",
                },
                by="clerk-7",
                at=T0,
                note=f"after the {PRIVATE} talk",
            )
        )
        uow.repository(COMMENTS).add(
            Comment(
                subject_kind=SubjectKind.TICKET,
                subject_id=f"ticket-{story.ann}",
                author_kind=AuthorKind.CONTACT,
                author=story.ann,
                body=f"My {PRIVATE} again",
                visibility=Visibility.SHARED,
                at=T0,
                party_id=story.ann,
            )
        )
        for who, party, said in ((ANN, story.ann, PRIVATE), (BEA, story.bea, "quick")):
            form = FormSubmission(name=who["name"], email=who["email"], problem="Late")
            ticket = Ticket.open(form, at=T0, id=f"ticket-{party}", party_id=party)
            uow.repository("ticket").add(ticket)
            uow.repository("survey").add(
                Survey(
                    id=f"survey-{party}",
                    ticket_id=ticket.id,
                    sent_at=T0,
                    expires_at=T0 + timedelta(days=14),
                    answer=Answer(score=5, comment=f"Thanks, {who['name']} ({said})", at=T0),
                    party_id=party,
                )
            )
    assert bea_engagement.party_id == story.bea


def _texts(crm: rc.CRM, kind: str) -> list[str]:
    records = crm.backend.query(Query(kind, (), limit=100)).records
    return [json.dumps(r.data, ensure_ascii=False).lower() for r in records]


def test_free_text_of_every_feature_is_gone_after_erasure(url: str) -> None:
    with rc.open(url) as crm:
        story = build(crm)
        _fill(crm, story)
        before = {k: _texts(crm, k) for k in KINDS}
        assert all(any(PRIVATE in t for t in texts) for texts in before.values()), before
        logged = [json.dumps(e.data).lower() for e in raw.all_events(crm.backend)]
        assert [t for t in logged if PRIVATE in t]  # the requirement's revision names its sections
        erase_party(crm, story.ann, "erasure request")
        needles = [ANN["name"].lower(), ANN["email"], "7946 0311", PRIVATE]
        for kind in KINDS:
            for text in _texts(crm, kind):
                assert not [n for n in needles if n in text], (kind, text)
        for event in raw.all_events(crm.backend):
            text = json.dumps(event.data, ensure_ascii=False).lower()
            assert not [n for n in needles if n in text], (event.type, text)
        [kept] = [a for a in crm.repository(RULE_AUDITS).iterate() if a.subject == story.bea]
        assert kept.failed[0].conditions[0].values == (("party.name", f"'{BEA['name']}'"),)
        assert crm.repository(NOTIFICATIONS).get("note-3").text == "Your invoice is ready"
        survey = crm.repository("survey").get(f"survey-{story.bea}")
        assert survey.answer is not None
        assert survey.answer.comment == f"Thanks, {BEA['name']} (quick)"
        mine = crm.repository("survey").get(f"survey-{story.ann}")
        assert mine.answer is not None
        assert (mine.answer.score, mine.answer.comment) == (5, ERASED)


def test_import_markers_hold_no_personal_data(tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(f"name,email,phone\n{ANN['name']},{ANN['email']},{ANN['phone']}\n")
    db = tmp_path / "import.db"
    with rc.open(f"sqlite:///{db}") as crm:
        report = import_csv(crm, csv, "parties")
        [party] = list(crm.parties.iterate())
        erase_party(crm, party.id, "erasure request")
        assert report.created == 1
    conn = sqlite3.connect(db)
    try:
        rows = [str(r) for r in conn.execute("SELECT consumer, seq FROM rc_positions")]
    finally:
        conn.close()
    assert [r for r in rows if "import:parties:" in r]
    assert not [r for r in rows if ANN["name"] in r or ANN["email"] in r or "7946" in r]
