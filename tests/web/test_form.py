"""The support form: a ticket through the library, errors next to their fields, input kept."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from relationship_core._support import Ticket, TicketChannel

from .conftest import World, csrf

GOOD = {
    "name": "Cleo",
    "email": "cleo@example.com",
    "product": "Kettle",
    "problem": "Leaks",
    "priority": "high",
}


def test_the_form_page_labels_every_field(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for name in ("name", "email", "product", "problem", "priority"):
        assert f'<label for="{name}">' in page.text
        assert f'id="{name}"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "rc_csrf" in page.headers["set-cookie"]
    assert "httponly" in page.headers["set-cookie"].lower()


def test_a_submission_is_a_ticket_shown_by_its_reference(client: TestClient, world: World) -> None:
    page = client.post("/", data={**GOOD, "csrf": csrf(client)})
    assert page.status_code == 200
    match = re.search(r'class="reference">([^<]+)<', page.text)
    assert match is not None
    ticket = world.crm.repository(Ticket).get(match.group(1))
    assert (ticket.name, str(ticket.email), ticket.product, ticket.priority.value) == (
        "Cleo",
        "cleo@example.com",
        "Kettle",
        "high",
    )
    assert ticket.channel is TicketChannel.FORM
    assert world.support.party_for("cleo@example.com") == ticket.party_id


def test_errors_are_next_to_their_fields_and_input_is_kept(
    client: TestClient, world: World
) -> None:
    before = world.crm.repository(Ticket).count()
    page = client.post(
        "/",
        data={
            **GOOD,
            "name": "",
            "email": "not-an-address",
            "problem": "Still <b>leaks</b>",
            "csrf": csrf(client),
        },
    )
    assert page.status_code == 422
    assert 'id="name-error"' in page.text
    assert 'aria-describedby="email-error"' in page.text or 'id="email-error"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert "Still &lt;b&gt;leaks&lt;/b&gt;</textarea>" in page.text  # kept, escaped
    assert 'value="Kettle"' in page.text
    assert world.crm.repository(Ticket).count() == before


def test_an_unknown_priority_is_an_error_on_its_field(client: TestClient) -> None:
    page = client.post("/", data={**GOOD, "priority": "now!!", "csrf": csrf(client)})
    assert page.status_code == 422
    assert 'id="priority-error"' in page.text


def test_a_name_with_a_header_is_refused_on_the_name(client: TestClient, world: World) -> None:
    page = client.post(
        "/", data={**GOOD, "name": "Cleo\r\nBcc: all@example.com", "csrf": csrf(client)}
    )
    assert page.status_code == 422
    assert 'id="name-error"' in page.text
    assert world.support.party_for("cleo@example.com") is None


def test_the_honeypot_looks_successful_and_stores_nothing(client: TestClient, world: World) -> None:
    before = world.crm.repository(Ticket).count()
    page = client.post("/", data={**GOOD, "website": "http://spam", "csrf": csrf(client)})
    assert page.status_code == 200
    assert "We received your message" in page.text
    assert world.crm.repository(Ticket).count() == before


def test_unknown_routes_and_methods_get_our_error_page(client: TestClient) -> None:
    assert client.get("/nowhere").status_code == 404
    assert "Not found" in client.get("/nowhere").text
    assert client.put("/").status_code == 405
    assert client.get("/static/style.css").status_code == 200
