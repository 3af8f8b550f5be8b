"""Defences: CSRF, body size, XSS escaped everywhere, rate limits shared through the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from relationship_core._support import Ticket
from relationship_core.exceptions import ValidationError
from relationship_core.web import SECRET_ENV, RateLimit, WebSettings, app

from .conftest import KEY, World, csrf, sign_in

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
FORM = {"name": "Cleo", "email": "cleo@example.com", "product": "", "problem": "?"}


def test_every_post_needs_the_csrf_token(client: TestClient, world: World) -> None:
    sign_in(client, world)
    ticket = world.ada.ids["tickets"]
    posts = {
        "/": FORM,
        "/portal/sign-in": {"email": "ada@example.com"},
        "/portal/sign-in/abc": {},
        "/portal/sign-out": {},
        "/portal/tickets/new": {"problem": "x"},
        f"/portal/tickets/{ticket}/comments": {"body": "x"},
        "/survey/abc": {"score": "5"},
    }
    sent = len(world.channel.sent)
    tickets = world.crm.repository(Ticket).count()
    for path, data in posts.items():
        for token in (None, "forged", csrf(client).replace(".", "!", 1)):
            body = data if token is None else {**data, "csrf": token}
            response = client.post(path, data=body, follow_redirects=False)
            assert response.status_code == 403, (path, token)
    assert world.crm.repository(Ticket).count() == tickets
    assert len(world.channel.sent) == sent
    assert client.get("/portal", follow_redirects=False).status_code == 200  # still signed in


def test_a_token_from_another_browser_is_refused(client: TestClient, world: World) -> None:
    token = csrf(client)
    other = TestClient(app(world.crm, channel=world.channel, settings=world.settings))
    csrf(other)  # a CSRF cookie of its own
    assert other.post("/", data={**FORM, "csrf": token}).status_code == 403


def test_bodies_over_the_limit_are_refused(client: TestClient, world: World) -> None:
    token = csrf(client)
    big = {**FORM, "csrf": token, "problem": "x" * (world.settings.max_body + 1)}
    before = world.crm.repository(Ticket).count()
    assert client.post("/", data=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield f"csrf={token}&name=Cleo&email=cleo%40example.com&problem=".encode()
        for _ in range(world.settings.max_body // 1024 + 2):
            yield b"x" * 1024

    streamed = client.post(
        "/", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413
    bogus = client.post("/", content=b"a=1", headers={"content-length": "-5"})
    assert bogus.status_code in {400, 413}
    assert world.crm.repository(Ticket).count() == before


def test_xss_in_every_field_is_rendered_escaped(client: TestClient, world: World) -> None:
    token = csrf(client)
    page = client.post(
        "/",
        data={
            "csrf": token,
            "name": XSS,
            "email": XSS,
            "product": XSS,
            "problem": XSS,
            "priority": XSS,
        },
    )
    assert page.status_code == 422
    assert "<script>" not in page.text
    assert "onerror=alert" not in page.text.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in page.text
    ok = client.post("/", data={**FORM, "csrf": token, "product": XSS, "problem": XSS})
    assert ok.status_code == 200
    sign_in(client, world, "cleo@example.com")
    portal = client.get("/portal")
    assert "<script>" not in portal.text
    ticket_id = (
        world.crm.repository(Ticket)
        .query(party_id=world.support.party_for("cleo@example.com"), limit=1)
        .items[0]
        .id
    )
    item = client.get(f"/portal/tickets/{ticket_id}")
    comment = client.post(
        f"/portal/tickets/{ticket_id}/comments",
        data={"csrf": csrf(client, "/portal"), "body": XSS},
        follow_redirects=True,
    )
    for text in (item.text, comment.text):
        assert "<script>" not in text
        assert "<img" not in text
    sent = client.post("/portal/sign-in", data={"csrf": csrf(client), "email": XSS})
    assert "<script>" not in sent.text


def test_no_header_injection_into_the_sign_in_mail(client: TestClient, world: World) -> None:
    token = csrf(client)
    for email in ("ada@example.com\r\nBcc: all@example.com", "ada@example.com%0d%0aBcc:x"):
        page = client.post("/portal/sign-in", data={"csrf": token, "email": email})
        assert page.status_code == 422
    assert world.channel.sent == []
    # the link is built from the configured base URL, never from the Host header
    client.post(
        "/portal/sign-in",
        data={"csrf": token, "email": "ada@example.com"},
        headers={"host": "evil.example"},
    )
    assert all("evil.example" not in n.text for n in world.channel.sent)


def test_rate_limits_per_address_and_per_email(world: World) -> None:
    world.settings = WebSettings(
        secret_key=KEY,
        base_url="http://testserver",
        secure_cookies=False,
        per_address=RateLimit(3, timedelta(minutes=1)),
        per_email=RateLimit(2, timedelta(hours=1)),
    )
    client = TestClient(app(world.crm, channel=world.channel, settings=world.settings))
    token = csrf(client)
    codes = [client.post("/", data={**FORM, "csrf": token}).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]  # the e-mail's limit (2) came first
    limited = client.post("/", data={**FORM, "csrf": token})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    world.clock.advance(timedelta(minutes=1))
    other = {**FORM, "email": "dan@example.com"}
    assert client.post("/", data={**other, "csrf": token}).status_code == 200
    assert client.post("/", data={**FORM, "csrf": token}).status_code == 429  # still this hour


def test_trusted_proxies_name_the_client(world: World) -> None:
    settings = WebSettings(
        secret_key=KEY,
        base_url="http://testserver",
        secure_cookies=False,
        trusted_proxies=["10.0.0.0/8"],
        per_address=RateLimit(1, timedelta(minutes=1)),
    )
    from relationship_core.web._guard import client_address

    def scope(peer: str, forwarded: str | None) -> dict[str, object]:
        headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
        return {"client": (peer, 1), "headers": headers}

    assert client_address(scope("10.0.0.2", "203.0.113.9"), settings) == "203.0.113.9"
    assert client_address(scope("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.7"), settings) == (
        "203.0.113.9"
    )
    assert client_address(scope("198.51.100.4", "203.0.113.9"), settings) == "198.51.100.4"
    assert client_address(scope("10.0.0.2", "garbage"), settings) == "10.0.0.2"
    assert client_address(scope("10.0.0.2", None), settings) == "10.0.0.2"


def test_the_secret_key_comes_from_the_environment_and_is_never_shown() -> None:
    with pytest.raises(ValidationError) as unset:
        WebSettings.from_env("https://crm.example", environ={})
    assert unset.value.field == SECRET_ENV
    with pytest.raises(ValidationError):
        WebSettings.from_env("https://crm.example", environ={SECRET_ENV: "short"})
    settings = WebSettings.from_env("https://crm.example/", environ={SECRET_ENV: KEY})
    assert settings.base_url == "https://crm.example"
    assert KEY not in repr(settings)
    assert settings.secret_key.reveal() == KEY
    for bad in ("ftp://x", "https://x\r\nSet-Cookie: a", "https://x/<script>"):
        with pytest.raises(ValidationError) as exc:
            WebSettings(secret_key=KEY, base_url=bad)
        assert exc.value.field == "base_url"


def test_settings_are_checked(world: World) -> None:
    with pytest.raises(ValidationError):
        app(world.crm, channel=world.channel, settings="no")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RateLimit(0, timedelta(minutes=1))
    with pytest.raises(ValidationError):
        WebSettings(secret_key=KEY, base_url="https://x", trusted_proxies=["not an ip"])


def test_templates_are_overridden_by_folders_given(world: World, tmp_path: Path) -> None:
    (tmp_path / "thanks.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Merci</h1>{{ reference }}{% endblock %}'
    )
    client = TestClient(
        app(world.crm, channel=world.channel, settings=world.settings, templates=[tmp_path])
    )
    page = client.post("/", data={**FORM, "csrf": csrf(client)})
    assert "<h1>Merci</h1>" in page.text
    assert "Contact support" in client.get("/").text  # the others stay built in


def test_counters_lose_no_hit_under_concurrent_requests(tmp_path: Path) -> None:
    import threading

    import relationship_core as rc
    from relationship_core.web import RateWindow
    from relationship_core.web._guard import RateLimiter

    with rc.open(f"sqlite:///{tmp_path / 'rate.db'}") as crm:
        limiter = RateLimiter(crm)
        limit = RateLimit(1000, timedelta(hours=1))
        waits: list[object] = []

        def hammer() -> None:
            waits.extend(limiter.hit("form.address", "203.0.113.9", limit) for _ in range(10))

        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert waits == [None] * 60
        [window] = crm.repository(RateWindow).iterate()
        assert window.count == 60
        assert "203.0.113.9" not in window.id  # the key is stored hashed
        few = RateLimit(60, timedelta(hours=1))
        assert limiter.hit("form.address", "203.0.113.9", few) is not None


def test_settings_from_the_composition_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import relationship_core as rc
    from relationship_core._notify import MemoryChannel

    config = {"web": {"base_url": "https://shop.example/crm", "session_lifetime": 3600,
                      "business_name": "Shop"}}  # fmt: skip
    with rc.open("memory://", config=config) as crm:
        settings = WebSettings.from_store(crm, environ={SECRET_ENV: KEY})
        assert (settings.base_url, settings.session_lifetime) == (
            "https://shop.example/crm",
            timedelta(hours=1),
        )
        monkeypatch.delenv(SECRET_ENV, raising=False)
        with pytest.raises(ValidationError) as unset:
            app(crm, channel=MemoryChannel())  # no key in the environment
        assert unset.value.field == SECRET_ENV
        monkeypatch.setenv(SECRET_ENV, KEY)
        assert "Shop" in TestClient(app(crm, channel=MemoryChannel())).get("/").text
    with rc.open("memory://", config={"web": {"secret_key": KEY}}) as crm:
        with pytest.raises(ValidationError) as in_config:
            WebSettings.from_store(crm, environ={SECRET_ENV: KEY})
        assert KEY not in str(in_config.value)
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as no_url:
        WebSettings.from_store(crm, environ={SECRET_ENV: KEY})
    assert no_url.value.field == "config.web.base_url"
