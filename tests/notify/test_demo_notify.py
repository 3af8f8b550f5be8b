"""The demo's notifications chapter."""

from __future__ import annotations

from types import SimpleNamespace

import relationship_core as rc
from relationship_core._demo import run_demo


def test_the_demo_sends_the_invoice_emails_of_its_story() -> None:
    lines: list[str] = []
    result = run_demo(lines.append, "memory://")
    out = "\n".join(lines)
    assert "26 e-mails sent to Ada Lovelace <ada@analytical.example> (locale en-GB)" in out
    assert "Subject: Your invoice, due 22 January" in out
    assert "£250.10" in out  # money in her locale, by Babel
    assert len(result.invoice_numbers) == 26


def test_without_channels_the_chapter_says_how_to_see_it() -> None:
    from relationship_core._demo_notify import notifications

    lines: list[str] = []
    with rc.open("memory://") as crm:
        notifications(SimpleNamespace(crm=crm, write=lines.append))
    assert "install relationship-core[notify]" in lines[-1]
