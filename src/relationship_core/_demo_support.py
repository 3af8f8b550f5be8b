"""The demo's support chapter: a complaint by form becomes a ticket, resolved within its SLA.

Ada fills in the support form; her address (in another case) finds her
party, the ticket gets its SLA timers as jobs, the runner is drained as a
worker would run it, her e-mailed reply (through `MailIntake`, as
`MailReceiver` hands it over from SMTP) threads into the ticket as a comment, and the
resolution records the CSAT survey she answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from relationship_core._app.runner import Runner
from relationship_core._domain.actor import Actor
from relationship_core._domain.business import Business
from relationship_core._support.csat import CsatResponse, csat
from relationship_core._support.forms import FormSubmission
from relationship_core._support.inbound import MailIntake
from relationship_core._support.service import SupportService
from relationship_core._support.sla import SlaPolicy, SlaTarget
from relationship_core._support.timers import SLA_QUEUE
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._demo import _Story

__all__ = ["support_chapter"]


def _mail(subject: str, body: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <ada@analytical.example>"
    msg["To"] = "support@studio.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


def _hours(delta: timedelta | None) -> str:
    return "-" if delta is None else f"{delta.total_seconds() / 3600:g} h"


def support_chapter(story: _Story) -> None:
    """Tell the chapter on the story's store, starting the Monday after its clock."""
    from relationship_core._demo import ZONE, _heading

    write, clock, crm = story.write, story.clock, story.crm
    _heading(write, "Support: a complaint by form, resolved within its SLA")
    today = clock.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    clock.set(datetime.combine(monday, time(9, 30), UTC))
    policy = SlaPolicy(
        name="standard", first_response=timedelta(hours=4), resolution=timedelta(hours=16)
    )
    business = Business.create("studio-support", time_zone=ZONE)
    support = SupportService(crm, business=business, policies=[policy], default_team="support-desk")
    intake = MailIntake(support)
    runner = Runner(crm, queues=[SLA_QUEUE], worker="demo-worker")
    sam = Actor.person("sam.support")
    form = FormSubmission(
        name="Ada Lovelace",
        email="Ada@analytical.example",
        problem="I was charged twice for March.",
        product="retainer",
    )
    ticket = support.submit(form)
    write(f"  {monday} 09:30  web form from {ticket.email}: ticket {ticket.id[-6:]}")
    timers = crm.jobs.list_jobs(states=["pending"])
    write(f"  SLA '{policy.name}': first answer in 4 working hours, resolution in 16;")
    write(f"  {len(timers)} timer jobs in group sla:{ticket.id[-6:]}")
    clock.advance(timedelta(hours=1, minutes=30))
    support.assign(ticket.id, "sam.support", actor=sam)
    support.respond(ticket.id, actor=sam)
    support.move(ticket.id, "pending_customer", actor=sam)
    write("  11:00  Sam answers by e-mail, asking for the invoice numbers (clock paused)")
    clock.advance(timedelta(hours=22))  # Tuesday 09:00
    reply = intake.receive(
        _mail(
            f"Re: [#{ticket.id}] Charged twice",
            "INV-2026-000003, twice.",
            "<c2@analytical.example>",
        )
    )
    status = support.tickets.get(ticket.id).status.value
    threaded = "threads in as a comment" if reply.comment_id else "opened a ticket"
    write(f"  next day 09:00  Ada's e-mailed reply {threaded}; ticket now {status}")
    clock.advance(timedelta(hours=2))
    support.move(ticket.id, "resolved", actor=sam)
    ran = runner.drain()
    breaches = [e.name for _, e in crm.events.read() if e.name.startswith("ticket.sla_")]
    state = support.sla(ticket.id)
    if state is None:  # pragma: no cover - the policy applies to every ticket
        raise ValidationError("policies", policy.name, "no SLA policy applies")
    first = state.target(SlaTarget.FIRST_RESPONSE)
    resolution = state.target(SlaTarget.RESOLUTION)
    verdict = "breached" if resolution.breached else "within SLA"
    write(
        f"  11:00  resolved: first answer after {_hours(first.elapsed)}, "
        f"resolved in {_hours(state.total_resolution_time)} of working time ({verdict})"
    )
    write(f"  the worker ran {len(ran)} due timers; {len(breaches)} breach events")
    [survey] = support.surveys.query(ticket_id=ticket.id, answered=False)
    clock.advance(timedelta(hours=3))
    answer = support.answer_survey(survey.id, 5, "Sorted the same day")
    score = csat([CsatResponse(score=answer.score, answered_at=clock.now(), team="support-desk")])
    write(
        f"  CSAT survey answered: {answer.score}/5 '{answer.comment}'; CSAT {float(score or 0):.0%}"
    )
