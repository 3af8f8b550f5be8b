"""The demo's notifications chapter: the invoice e-mails of the story, captured in memory.

`demo_config` gives the store a ``memory`` channel named ``mail``; `notifications`
queues the e-mail of every invoice the story issued to the customer's contact (in
their locale, through the outbox), runs the delivery jobs and shows what was sent.
Without the ``notify`` extra (Jinja2, Babel) the chapter says how to get it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

__all__ = ["demo_config", "notifications"]

_TEXT = """Dear {{ name }},

your invoice for {{ total|money }} is due on {{ due|date('long') }}.

Thank you for your business.
"""


def demo_config() -> Mapping[str, Mapping[str, Any]]:
    """``open(..., config=demo_config())``: the ``mail`` memory channel (``{}`` without the extra)."""
    try:
        from relationship_core._notify import MemoryChannel
    except ImportError:  # pip install 'relationship-core[notify]'
        return {}
    return {"notify": {"channels": {"mail": MemoryChannel("mail")}}}


def notifications(story: Any) -> None:
    """Chapter: the invoice e-mails, queued in the outbox and delivered by the runner."""
    write: Callable[[str], None] = story.write
    write("")
    title = "7. Notifications: the invoice e-mails (memory channel)"
    write(title)
    write("-" * len(title))
    channels = story.crm.config.get("notify", {}).get("channels", {})
    if "mail" not in channels:
        write("  (install relationship-core[notify] to see the e-mails this story sends)")
        return
    from relationship_core._app.outbox.service import Notifications
    from relationship_core._app.runner import Runner
    from relationship_core._domain.money import Money
    from relationship_core._notify import EventType, load_template
    from relationship_core._notify.locales import recipient_of

    issued = EventType("invoice.issued", {"name": str, "number": str, "total": Money, "due": date})
    template = load_template(
        issued,
        subject="Your invoice, due {{ due|date('d MMMM') }}",
        text=_TEXT,
        category="transactional",
    )
    outbox = Notifications(story.crm)
    with story.crm.unit_of_work() as uow:
        [ada] = uow.parties.query(("name", "eq", "Ada Lovelace"), limit=1).items
        ada.locale = "en-GB"  # dates and money as she reads them
        to = recipient_of(ada)
        for invoice in story.issued:
            outbox.notify(
                uow,
                channel="mail",
                to=to,
                template=template,
                context={
                    "name": ada.name,
                    "number": invoice.number,
                    "total": invoice.total,
                    "due": invoice.due_on,
                },
                key=f"invoice.issued:{invoice.number}",
            )
    results = Runner(story.crm, queues=["notify.memory"], worker="demo").drain()
    mail = channels["mail"]
    sent = [n for n in outbox.query(limit=1000) if n.status == "sent"]
    write(
        f"  {len(results)} delivery jobs run, {len(sent)} e-mails sent to "
        f"{to.name} <{to.address}> (locale {ada.locale})"
    )
    first = mail.sent[0]
    write(f"  first: Subject: {first.subject}")
    for line in first.text.strip().splitlines():
        write(f"         {line}" if line else "")
