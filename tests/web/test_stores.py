"""On stores several processes share (SQLite, PostgreSQL): links used once, limits shared."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from starlette.testclient import TestClient

import relationship_core as rc
from relationship_core.web import RateLimit, app

from .conftest import FORM_FIELDS, csrf, make_world


def test_a_link_raced_by_two_servers_signs_in_once(store_url: str) -> None:
    world = make_world(store_url)
    try:
        with rc.open(store_url, clock=world.clock) as other_crm:
            one = TestClient(app(world.crm, channel=world.channel, settings=world.settings))
            two = TestClient(app(other_crm, channel=world.channel, settings=world.settings))
            token = csrf(one, "/portal/sign-in")
            one.post("/portal/sign-in", data={"csrf": token, "email": "ada@example.com"})
            match = re.search(r"http://testserver(\S+)", world.channel.sent[-1].text)
            assert match is not None
            link = match.group(1)
            tokens = {one: token, two: csrf(two, link)}
            codes: list[int] = []
            barrier = threading.Barrier(2)

            def use(client: TestClient) -> None:
                barrier.wait()
                response = client.post(link, data={"csrf": tokens[client]}, follow_redirects=False)
                codes.append(response.status_code)

            threads = [threading.Thread(target=use, args=(c,)) for c in (one, two)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(codes) == [303, 410]
    finally:
        world.crm.close()


def test_rate_limits_are_shared_by_servers_on_one_store(store_url: str) -> None:
    world = make_world(store_url, per_address=RateLimit(2, timedelta(minutes=5)))
    try:
        with rc.open(store_url, clock=world.clock) as other_crm:
            one = TestClient(app(world.crm, channel=world.channel, settings=world.settings))
            two = TestClient(app(other_crm, channel=world.channel, settings=world.settings))
            for n, client in enumerate((one, two)):
                data = {**FORM_FIELDS, "email": f"c{n}@example.com", "csrf": csrf(client)}
                assert client.post("/", data=data).status_code == 200
            data = {**FORM_FIELDS, "csrf": csrf(one)}
            assert one.post("/", data=data).status_code == 429
            assert two.post("/", data={**data, "csrf": csrf(two)}).status_code == 429
    finally:
        world.crm.close()
