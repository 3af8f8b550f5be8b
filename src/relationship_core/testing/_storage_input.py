"""Conformance tests of input every backend must refuse (or keep) identically.

Part of `relationship_core.testing.storage.StorageBackendTests`; kept in
its own module so the kit stays readable. The checks themselves live in
`relationship_core._storage.schema`, which every backend applies before it
touches storage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from relationship_core._storage.contract import NewEvent, NewJob, Query, Write
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import MAX_INDEXED_TEXT
from relationship_core.exceptions import ValidationError

__all__ = ["InputTests"]

_T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _item(rid: str, name: str, data: dict[str, Any] | None = None) -> Write:
    indexed = {
        "name": name,
        "rank": 0,
        "score": 0.0,
        "active": True,
        "seen_at": _T0,
        "due": date(2026, 1, 1),
        "note": None,
    }
    return Write("item", rid, data if data is not None else {"id": rid}, indexed)


class InputTests:
    """Refusals that must be identical on every backend."""

    @pytest.mark.parametrize(
        ("name", "ok"),
        [
            ("a" * MAX_INDEXED_TEXT, True),
            ("é" * (MAX_INDEXED_TEXT // 2), True),  # two bytes each
            ("a" * (MAX_INDEXED_TEXT + 1), False),
            ("\N{GRINNING FACE}" * (MAX_INDEXED_TEXT // 4 + 1), False),  # four bytes each
            ("Ada " * 700, False),  # a 2,800-character name
        ],
    )
    def test_indexed_text_has_one_limit(self, backend: StorageBackend, name: str, ok: bool) -> None:
        if ok:
            with backend.transaction() as tx:
                tx.put_many([_item("a", name)])
            assert backend.get_many("item", ["a"])["a"].indexed["name"] == name
            page = backend.query(Query("item", [("name", "eq", name)]))
            assert [r.id for r in page.records] == ["a"]
            return
        with pytest.raises(ValidationError) as info, backend.transaction() as tx:
            tx.put_many([_item("a", name)])
        assert info.value.field == "indexed.name"
        assert isinstance(info.value.value, str)
        assert len(info.value.value) < 100  # named, but shortened
        assert f"{MAX_INDEXED_TEXT:,} bytes" in info.value.reason
        assert backend.get_many("item", ["a"]) == {}
        with pytest.raises(ValidationError) as query_info:
            backend.query(Query("item", [("name", "eq", name)]))
        assert query_info.value.field == "where[0].value"

    @pytest.mark.parametrize("value", ["abc", b"abc"])
    def test_in_needs_a_collection_not_a_string(
        self, backend: StorageBackend, value: object
    ) -> None:
        with backend.transaction() as tx:
            tx.put_many([_item("a", "a")])
        with pytest.raises(ValidationError) as info:
            backend.query(Query("item", [("name", "in", value)]))
        assert (info.value.field, info.value.value) == ("where[0].value", value)

    # -- lone surrogates: no UTF-8 store can keep them -------------------------------

    def test_lone_surrogates_are_refused_everywhere(self, backend: StorageBackend) -> None:
        bad = "x\ud800y"
        writes: list[tuple[str, Write]] = [
            ("indexed.name", _item("a", bad)),
            ("writes[0].data", _item("a", "n", {"text": bad})),
            ("writes[0].data", _item("a", "n", {bad: 1})),
            ("writes[0].data", _item("a", "n", {"deep": [{"x": bad}]})),
            ("id", _item(bad, "n")),
        ]
        for field, write in writes:
            with pytest.raises(ValidationError) as info, backend.transaction() as tx:
                tx.put_many([write])
            assert info.value.field == field
            assert "surrogate" in info.value.reason
        assert backend.query(Query("item")).records == ()
        for event, field in [
            (NewEvent("a.b", "x", _T0, {"k": bad}), "events[0].data"),
            (NewEvent(bad, "x", _T0), "type"),
            (NewEvent("a.b", bad, _T0), "aggregate_id"),
        ]:
            with pytest.raises(ValidationError) as info, backend.transaction() as tx:
                tx.append_events([event])
            assert info.value.field == field
        assert backend.read_events() == []
        for job, field in [
            (NewJob("q", {"k": bad}, _T0), "jobs[0].payload"),
            (NewJob(bad, {}, _T0), "queue"),
            (NewJob("q", {}, _T0, idempotency_key=bad), "idempotency_key"),
        ]:
            with pytest.raises(ValidationError) as info, backend.transaction() as tx:
                tx.enqueue([job])
            assert info.value.field == field
        assert backend.claim_jobs(worker="w", now=_T0, lease=timedelta(minutes=1)) == []
        with pytest.raises(ValidationError):
            backend.query(Query("item", [("name", "eq", bad)]))
        with pytest.raises(ValidationError):
            backend.get_many("item", [bad])
        with pytest.raises(ValidationError):
            backend.claim_jobs(worker=bad, now=_T0, lease=timedelta(minutes=1))

    def test_valid_unicode_round_trips(self, backend: StorageBackend) -> None:
        text = "Zoë \N{GRINNING FACE} 東京 \U0001f600"
        with backend.transaction() as tx:
            tx.put_many([_item(text, text, {text: [text]})])
            tx.append_events([NewEvent("a.b", text, _T0, {"t": text})])
        got = backend.get_many("item", [text])[text]
        assert (got.indexed["name"], got.data) == (text, {text: [text]})
        assert backend.read_events()[0].data == {"t": text}

    def test_retry_error_text_is_kept_storable(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            [jid] = tx.enqueue([NewJob("q", {}, _T0)])
        [job] = backend.claim_jobs(worker="w", now=_T0, lease=timedelta(minutes=1))
        retried = backend.retry_job(job, due_at=_T0, error="bad \ud800 and nul\x00 é")
        stored = backend.get_job(jid)
        assert stored is not None
        assert retried.last_error == stored.last_error == "bad \\ud800 and nul\\x00 é"
