"""The example feature package (examples/feature_plugin), found through its entry point.

Unlike the storage example, it is not pip-installed into the shared environment
(its handlers would then run in every store any process opens): a ``.dist-info``
on ``sys.path`` declares its entry point to ``importlib.metadata`` for this
process only, which is all entry-point discovery looks at.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core import Engagement, ManualClock, Person
from relationship_core.plugins import PluginManager, get_plugin_manager

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "feature_plugin"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginManager]:
    site = tmp_path_factory.mktemp("site")
    info = site / "relationship_core_followups-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: relationship-core-followups\nVersion: 0.1.0\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(
        "[relationship_core]\nfollowups = relationship_core_followups.plugin\n", encoding="utf-8"
    )
    # The process-wide manager is loaded first, so stores other tests open never see it.
    get_plugin_manager()
    added = [str(EXAMPLE / "src"), str(site)]
    sys.path[:0] = added
    importlib.invalidate_caches()
    try:
        yield PluginManager(blocked=()).load()
    finally:
        for path in added:
            sys.path.remove(path)
        for name in [m for m in sys.modules if m.startswith("relationship_core_followups")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_found_through_the_entry_point_group(manager: PluginManager) -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group="relationship_core")}
    assert "followups" in names
    assert "followups" in manager.plugin_names()
    assert manager.load_errors == []
    assert manager.job_handlers().get("followups.remind").description


def test_a_new_engagement_schedules_a_follow_up_and_its_reminder(
    manager: PluginManager, url: str
) -> None:
    from relationship_core_followups import FollowUp, FollowUpScheduled

    clock = ManualClock(T0)
    with rc.open(url, plugins=manager, clock=clock) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        deal = Engagement.start(
            ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
        )
        crm.engagements.add(deal)
        follow_up = crm.repository(FollowUp).get(f"followup:{deal.id}")
        assert follow_up.due_on == date(2026, 1, 12)
        logged = crm.events.read_logged()
        assert [type(e.event) for e in logged][-1] is FollowUpScheduled
        started = next(e for e in logged if e.event.name == "engagement.started")
        assert logged[-1].envelope.causation_id == started.envelope.id
        assert crm.jobs.claim("w") == []  # due on the 12th
        clock.set(datetime(2026, 1, 12, 9, tzinfo=UTC))
        [job] = crm.jobs.claim("w")
        # What the job runner will do: the queue's handler, in a unit of work of its own.
        assert crm.features is not None
        handler = crm.features.job_handlers.get(job.queue).handler
        with crm.unit_of_work(actor=rc.Actor.system()) as uow:
            handler(job, uow)
        crm.jobs.complete(job)
        assert crm.repository(FollowUp).get(follow_up.id).reminded


def test_blocking_it_by_name(manager: PluginManager) -> None:
    blocked = PluginManager(blocked=["followups"]).load()
    assert "followups" not in blocked.plugin_names()
    assert "followup" not in blocked.kinds()
