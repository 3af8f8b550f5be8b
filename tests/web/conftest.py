"""A store with two clients (Ada and Bob), each with something of every kind the portal shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2", reason="starlette's TestClient")

from starlette.testclient import TestClient

import relationship_core as rc
from relationship_core import Actor, Money, Person, SupportService, WorkService
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.lines import LineItem
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._notify import MemoryChannel
from relationship_core._support import FormSubmission
from relationship_core.web import WebSettings, app

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SAM = Actor.person("sam")
KEY = "test-key-" + "k" * 40
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@attrs.define
class Client:
    """One party's records, by kind, as the portal's URL segments name them."""

    party_id: str
    email: str
    ids: dict[str, str]


@attrs.define
class World:
    crm: rc.CRM
    clock: rc.ManualClock
    channel: MemoryChannel
    settings: WebSettings
    support: SupportService
    ada: Client
    bob: Client


def _client(crm: rc.CRM, support: SupportService, name: str, email: str) -> Client:
    work = WorkService(crm)
    person = crm.parties.add(Person(name=name, emails=[email]))
    ticket = support.submit(FormSubmission(name=name, email=email, problem=f"{name}'s problem"))
    with crm.unit_of_work() as uow:
        engagement = rc.Engagement.start(
            person, kind="customer", acquired_on=T0.date(), at=T0, support_team="support"
        )
        uow.add(engagement)
        line = LineItem(description="Design", quantity=Decimal(1), unit_price=Money("90", "EUR"))
        invoice = Invoice(id=f"I-{name}", party_id=person.id, currency="EUR", lines=(line,))
        invoice.issue(InvoiceNumberSequence(f"web-{name}"), T0.date(), T0)
        uow.add(invoice)
        draft = uow.add(Invoice(id=f"D-{name}", party_id=person.id, currency="EUR", lines=(line,)))
        note = uow.add(
            CreditNote(id=f"C-{name}", party_id=person.id, currency="EUR", invoice_id=invoice.id)
        )
    task = work.create_task(f"{name}'s design", actor=SAM, party_id=person.id, shared=True)
    hidden = work.create_task(f"{name}'s margin", actor=SAM, party_id=person.id)
    doc = work.write_requirements(engagement.id, {"Scope": f"{name}'s site"}, actor=SAM)
    return Client(
        person.id,
        email,
        {
            "tasks": task.id,
            "requirements": doc.id,
            "tickets": ticket.id,
            "invoices": invoice.id,
            "credit-notes": note.id,
            "internal": hidden.id,
            "draft": draft.id,
        },
    )


def make_world(url: str = "memory://", **options: Any) -> World:
    clock = rc.ManualClock(T0)
    crm = rc.open(url, clock=clock)
    support = SupportService(crm)
    settings = WebSettings(
        secret_key=KEY, base_url="http://testserver", secure_cookies=False, **options
    )
    ada = _client(crm, support, "Ada", "ada@example.com")
    bob = _client(crm, support, "Bob", "bob@example.com")
    return World(crm, clock, MemoryChannel(), settings, support, ada, bob)


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world()
    yield w
    w.crm.close()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    application = app(world.crm, channel=world.channel, settings=world.settings)
    with TestClient(application) as test_client:
        yield test_client


def csrf(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the form at *path* (the cookie is kept by the client)."""
    match = CSRF.search(client.get(path).text)
    assert match is not None, path
    return match.group(1)


def sign_in(client: TestClient, world: World, email: str = "ada@example.com") -> str:
    """Sign in through the e-mailed link; returns the link's path."""
    token = csrf(client, "/portal/sign-in")
    before = len(world.channel.sent)
    assert client.post("/portal/sign-in", data={"csrf": token, "email": email}).status_code == 200
    [mail] = world.channel.sent[before:]
    match = re.search(r"http://testserver(/portal/sign-in/\S+)", mail.text)
    assert match is not None
    link = match.group(1)
    response = client.post(link, data={"csrf": csrf(client, link)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return link


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL that several connections (processes) can share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'web.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()


#: A valid support form, without its CSRF token.
FORM_FIELDS = {"name": "Cleo", "email": "cleo@example.com", "product": "", "problem": "?"}
