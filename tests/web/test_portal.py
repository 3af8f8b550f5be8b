"""The client portal: an e-mailed link used once, a signed session, exactly the client view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from relationship_core._support import Ticket, TicketChannel
from relationship_core._work import Comment
from relationship_core.web import SignIn
from relationship_core.web._links import hash_token

from .conftest import World, csrf, sign_in

KINDS = ("tasks", "requirements", "tickets", "invoices", "credit-notes")


def test_signed_out_pages_send_to_the_sign_in_page(client: TestClient) -> None:
    for path in ("/portal", "/portal/tickets/new", "/portal/tasks/x"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/sign-in")


def test_the_link_signs_in_once_and_the_portal_shows_the_client_view(
    client: TestClient, world: World
) -> None:
    link = sign_in(client, world)
    cookie = client.cookies.get("rc_session")
    assert cookie is not None
    page = client.get("/portal")
    assert page.status_code == 200
    for text in (
        "Welcome, Ada",
        "Ada&#39;s design",
        "Invoice INV-2026-000001</a> (issued)",
        "Credit note C-Ada",
        "Ada&#39;s problem",
        "Customer since",
    ):
        assert text in page.text, text
    assert "Bob" not in page.text
    assert "margin" not in page.text  # the internal task
    [stored] = world.crm.repository(SignIn).iterate(party_id=world.ada.party_id)
    assert stored.used_at == world.clock.now()
    assert stored.id != link.rsplit("/", 1)[1]  # the token is stored hashed
    # replayed: the link was used
    assert client.get(link).status_code == 410
    replay = client.post(link, data={"csrf": csrf(client)}, follow_redirects=False)
    assert replay.status_code == 410
    assert "does not work" in replay.text


def test_the_session_cookie_is_signed_httponly_samesite(client: TestClient, world: World) -> None:
    token = csrf(client, "/portal/sign-in")
    client.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
    link = re.search(r"http://testserver(\S+)", world.channel.sent[-1].text)
    assert link is not None
    response = client.post(link.group(1), data={"csrf": token}, follow_redirects=False)
    header = response.headers["set-cookie"].lower()
    assert "rc_session=" in header
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "max-age=28800" in header


def test_every_item_of_the_party_opens_and_no_other_partys_does(
    client: TestClient, world: World
) -> None:
    sign_in(client, world)
    for kind in KINDS:
        assert client.get(f"/portal/{kind}/{world.ada.ids[kind]}").status_code == 200, kind
        assert client.get(f"/portal/{kind}/{world.bob.ids[kind]}").status_code == 404, kind
        assert client.get(f"/portal/{kind}/no-such-id").status_code == 404, kind
    assert client.get(f"/portal/tasks/{world.ada.ids['internal']}").status_code == 404
    # A draft invoice is the business's working copy: not shown, not reachable.
    assert client.get(f"/portal/invoices/{world.ada.ids['draft']}").status_code == 404
    assert world.ada.ids["draft"] not in client.get("/portal").text
    assert client.get(f"/portal/parties/{world.ada.party_id}").status_code == 404


def test_comments_go_on_the_partys_items_only(client: TestClient, world: World) -> None:
    sign_in(client, world)
    token = csrf(client, "/portal")
    for kind in ("tasks", "requirements", "tickets"):
        url = f"/portal/{kind}/{world.ada.ids[kind]}/comments"
        done = client.post(url, data={"csrf": token, "body": f"On {kind}"}, follow_redirects=True)
        assert done.status_code == 200
        assert f"On {kind}" in done.text
        other = f"/portal/{kind}/{world.bob.ids[kind]}/comments"
        assert client.post(other, data={"csrf": token, "body": "x"}).status_code == 404
    [comment] = world.crm.repository(Comment).iterate(subject_id=world.ada.ids["tasks"])
    assert (comment.author_kind.value, comment.visibility.value) == ("contact", "shared")
    assert comment.party_id == world.ada.party_id
    assert world.crm.repository(Comment).count(party_id=world.bob.party_id) == 0
    invoice = f"/portal/invoices/{world.ada.ids['invoices']}/comments"
    assert client.post(invoice, data={"csrf": token, "body": "x"}).status_code == 404
    empty = client.post(
        f"/portal/tasks/{world.ada.ids['tasks']}/comments", data={"csrf": token, "body": "  "}
    )
    assert empty.status_code == 422
    assert 'id="body-error"' in empty.text


def test_a_ticket_opened_in_the_portal_is_the_partys(client: TestClient, world: World) -> None:
    sign_in(client, world)
    token = csrf(client, "/portal/tickets/new")
    missing = client.post("/portal/tickets/new", data={"csrf": token, "problem": ""})
    assert missing.status_code == 422
    assert 'id="problem-error"' in missing.text
    done = client.post(
        "/portal/tickets/new",
        data={"csrf": token, "problem": "Invoice is wrong", "priority": "low"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    ticket_id = done.headers["location"].rsplit("/", 1)[1]
    ticket = world.crm.repository(Ticket).get(ticket_id)
    assert (ticket.party_id, ticket.channel) == (world.ada.party_id, TicketChannel.PORTAL)
    assert client.get(done.headers["location"]).status_code == 200


def test_sign_out_ends_the_session(client: TestClient, world: World) -> None:
    sign_in(client, world)
    token = csrf(client, "/portal")
    page = client.post("/portal/sign-out", data={"csrf": token})
    assert page.status_code == 200
    assert "signed out" in page.text
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_the_session_expires(client: TestClient, world: World) -> None:
    sign_in(client, world)
    world.clock.advance(world.settings.session_lifetime)
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_an_expired_link_says_so(client: TestClient, world: World) -> None:
    token = csrf(client, "/portal/sign-in")
    client.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
    match = re.search(r"http://testserver(\S+)", world.channel.sent[-1].text)
    assert match is not None
    world.clock.advance(world.settings.sign_in_valid_for + timedelta(seconds=1))
    assert client.get(match.group(1)).status_code == 410
    assert client.post(match.group(1), data={"csrf": token}).status_code == 410


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "../../etc/passwd", "%00", "a" * 5000],
)
def test_tampered_links_do_not_sign_in(client: TestClient, token: str) -> None:
    form = csrf(client, "/portal/sign-in")
    response = client.post(f"/portal/sign-in/{token}", data={"csrf": form})
    assert response.status_code in {404, 405, 410}
    assert "rc_session" not in response.headers.get("set-cookie", "")


def test_a_link_altered_by_one_character_fails(client: TestClient, world: World) -> None:
    token = csrf(client, "/portal/sign-in")
    client.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
    match = re.search(r"/portal/sign-in/(\S+)", world.channel.sent[-1].text)
    assert match is not None
    real = match.group(1)
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    assert world.crm.repository(SignIn).find(hash_token(forged)) is None
    assert client.post(f"/portal/sign-in/{forged}", data={"csrf": token}).status_code == 410
    response = client.post(f"/portal/sign-in/{real}", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: TestClient, world: World
) -> None:
    token = csrf(client, "/portal/sign-in")
    known = client.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
    unknown = client.post("/portal/sign-in", data={"csrf": token, "email": "eve@example.com"})
    assert known.text.replace("ada@", "X@") == unknown.text.replace("eve@", "X@")
    assert [n.recipient.address for n in world.channel.sent] == ["ada@example.com"]
    bad = client.post("/portal/sign-in", data={"csrf": token, "email": "no"})
    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text


def test_a_forged_session_cookie_is_ignored(client: TestClient, world: World) -> None:
    sign_in(client, world)
    cookie = client.cookies["rc_session"]
    client.cookies.clear()
    client.cookies.set("rc_session", cookie[:-2] + "xx")
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_everywhere(client: TestClient, world: World) -> None:
    sign_in(client, world)
    stolen = client.cookies["rc_session"]
    client.post("/portal/sign-out", data={"csrf": csrf(client, "/portal")})
    [stored] = world.crm.repository(SignIn).iterate(party_id=world.ada.party_id)
    assert stored.signed_out_at == world.clock.now()
    client.cookies.clear()
    client.cookies.set("rc_session", stolen)  # a copy of the cookie kept elsewhere
    assert client.get("/portal", follow_redirects=False).status_code == 303


class _DownChannel:
    name = "down"

    def deliver(self, batch: object) -> list[object]:
        raise RuntimeError("the mail server is on fire")


def test_a_failing_channel_is_logged_and_the_answer_is_the_same(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from relationship_core.web import app

    client = TestClient(app(world.crm, channel=_DownChannel(), settings=world.settings))  # type: ignore[arg-type]
    token = csrf(client, "/portal/sign-in")
    with caplog.at_level("ERROR", "relationship_core.web"):
        page = client.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
    assert page.status_code == 200
    assert "Check your e-mail" in page.text
    assert "sign-in link not sent" in caplog.text
