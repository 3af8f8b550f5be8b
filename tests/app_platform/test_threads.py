"""One CRM shared by threads on SQLite: each thread runs its own units of work."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import relationship_core as rc
from relationship_core import Engagement, Person

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_threads_share_one_crm_on_sqlite(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    threads_n, per_thread = 4, 8
    with rc.open(f"sqlite:///{tmp_path / 'threads.db'}") as crm:

        def work(n: int) -> None:
            try:
                for i in range(per_thread):
                    with crm.unit_of_work(actor=rc.Actor.person(f"t{n}")) as uow:
                        party = uow.add(Person(name=f"P{n}-{i}"))
                        deal = Engagement.start(
                            party,
                            kind="customer",
                            acquired_on=date(2026, 1, 5),
                            at=T0,
                            support_team="desk",
                        )
                        uow.engagements.add(deal)
                        deal.log_interaction("call", at=T0)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        total = threads_n * per_thread
        assert len(list(crm.parties.iterate())) == total
        assert len(list(crm.interactions.iterate())) == total
        logged = crm.events.read_logged(limit=1000)
        # Per party: started, logged, and the lifecycle's move to "customer".
        assert len(logged) == 3 * total
        moves = [e for e in logged if e.event.name == "lifecycle.stage_changed"]
        assert len({e.event.aggregate_id for e in moves}) == total
        ids = [e.envelope.id for e in logged]
        assert len(set(ids)) == len(ids)
        actors = {e.envelope.actor.id for e in logged}
        assert actors == {f"t{n}" for n in range(threads_n)}
