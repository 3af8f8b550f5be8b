"""The demo's support chapter: a complaint by form becomes a ticket, resolved within its SLA.

Ada fills in the support form; her address (in another case) finds her
party, the ticket gets its SLA timers as jobs, the runner is drained as a
worker would run it, her e-mailed reply (through `MailIntake`, as
`MailReceiver` hands it over from SMTP) threads into the ticket as a comment, and the
resolution records the CSAT survey she answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from relationship_core._app.runner import Runner
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._domain.actor import Actor
from relationship_core._domain.business import Business
from relationship_core._domain.money import Money
from relationship_core._support.csat import CsatResponse, csat
from relationship_core._support.forms import FormSubmission
from relationship_core._support.inbound import MailIntake
from relationship_core._support.service import SupportService
from relationship_core._support.sla import SlaPolicy, SlaTarget
from relationship_core._support.timers import SLA_QUEUE
from relationship_core._work.recurrence import RecurrenceSeries
from relationship_core._work.series_jobs import OCCURRENCE_QUEUE
from relationship_core._work.service import WorkService
from relationship_core._work.tasks import Assignee
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._demo_story import _Story

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


def _work(story: _Story, monday: date) -> tuple[WorkService, Runner]:
    """An order's fulfilment task with a checklist, and a monthly report as recurring work."""
    from relationship_core._demo_story import ZONE, _heading

    write, crm = story.write, story.crm
    _heading(write, "8. Work: an order's task with a checklist, and a recurring report")
    story.at(monday, 8)
    party_id = story.billing.orders.get("O-2012").party_id  # the school's December order
    kit = LineItem("Workshop kit", 10, Money("49.00", "GBP"), LineKind.PRODUCT)
    order = story.order(party_id, "O-3001", [kit], "deliveries")
    work = WorkService(crm)
    sam = Actor.person("sam.ops")
    task = work.create_task(
        "Pack and ship O-3001",
        actor=sam,
        order_id=order.id,
        assignee=Assignee.team("deliveries"),
        checklists={"Before shipping": ["Pick 10 kits", "Print the labels", "Book the courier"]},
    )
    [checklist] = task.checklists
    for item in checklist.items[:2]:
        work.tick(task.id, checklist.id, item.id, actor=sam)
    progress = work.tasks.get(task.id).progress()
    write(
        f"  task '{task.title}' for order {order.id}: checklist {progress.done}/{progress.total}"
        " ticked"
    )
    write("  (moving it to done sends the order's fulfil command: billing owns that fact)")
    report = RecurrenceSeries.on_schedule(
        "monthly-report",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
        datetime(2027, 1, 1, 17),  # noqa: DTZ001 - a local wall time in ZONE
        ZONE,
    )
    work.start_series(report, "Send the monthly report", actor=sam, party_id=party_id)
    write("  recurring: 'Send the monthly report' on the last business day, 17:00 London")
    return work, Runner(crm, queues=[OCCURRENCE_QUEUE], worker="demo-worker")


def support_chapter(story: _Story) -> None:
    """Tell the chapters on the story's store, starting the Monday after its clock."""
    from relationship_core._demo_story import ZONE, _heading

    write, clock, crm = story.write, story.clock, story.crm
    today = clock.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    work, occurrences = _work(story, monday)
    _heading(write, "9. Support: a complaint by form, resolved within its SLA")
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
    timers = [j for j in crm.jobs.list_jobs(states=["pending"]) if j.queue == SLA_QUEUE]
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
    _reports(story, work, occurrences)


def _reports(story: _Story, work: WorkService, runner: Runner) -> None:
    story.clock.set(datetime(2027, 4, 1, tzinfo=UTC))
    runner.drain()
    made = sorted(t.id.split("@")[1][:10] for t in work.tasks.query(limit=20) if "@" in t.id)
    story.write(f"  by April the worker has created the report tasks of {', '.join(made)}")
