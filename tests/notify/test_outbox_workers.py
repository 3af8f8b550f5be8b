"""Several workers on one endpoint: every notification arrives once, none rolled back."""

from __future__ import annotations

import threading

import relationship_core as rc

from .conftest import HttpServer
from .test_outbox import Shop, _secret, hook, open_shop, shop_factory  # noqa: F401 - fixtures


def test_four_workers_on_one_endpoint_deliver_each_once(
    local_url: str,
    shop_factory: list[Shop],  # noqa: F811 - the fixture
    http_server: HttpServer,
) -> None:
    shop = open_shop(shop_factory, local_url, {"hooks": hook(http_server.url)})
    keys = [shop.issue(f"INV-{i}") for i in range(40)]
    stop, done, lock = threading.Event(), [], threading.Lock()

    def seen(result: rc.JobResult) -> None:
        with lock:
            done.append(result.outcome)
            if len(done) >= len(keys):
                stop.set()

    runner = rc.Runner(shop.crm, queues=["notify.webhook"], worker="w", batch=5, heartbeat=False)
    worker = threading.Thread(
        target=runner.run, args=(stop,), kwargs={"concurrency": 4, "poll": 0.01, "on_result": seen}
    )
    worker.start()
    worker.join(60)
    stop.set()
    assert done == ["done"] * len(keys)  # no conflict, no retry
    ids = [r.headers["webhook-id"] for r in http_server.received]
    assert sorted(ids) == sorted(keys)  # each once
    assert {shop.outbox.get(k).status for k in keys} == {"sent"}
    # kept-alive connections: far fewer than one per message
    assert len(http_server.connections) <= 8
    [endpoint] = shop.outbox.endpoints()
    assert endpoint.enabled
    assert endpoint.last_success_at is not None
