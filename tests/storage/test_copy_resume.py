"""Resumable dump/load copies: SQLite to a JSON-lines journal and back, killed and continued."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from relationship_core._app.facade import open_store
from relationship_core._storage.contract import NewJob
from relationship_core._storage.dump import _line, copy_any, dump_store
from relationship_core.exceptions import StorageError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jsonl_backend" / "src"
WORKER = Path(__file__).with_name("copy_worker.py")


@pytest.fixture(scope="module")
def jsonl() -> Iterator[Any]:
    """The example backend's class, imported from the source tree (no install needed)."""
    sys.path.insert(0, str(EXAMPLE))
    try:
        from relationship_core_jsonl.backend import JsonlBackend

        yield JsonlBackend
    finally:
        sys.path.remove(str(EXAMPLE))


def _demo_store(demo_into: Callable[[str], None], url: str) -> None:
    """The demo's records and events, with jobs (two claimed) and a consumer position."""
    demo_into(url)
    with open_store(url) as crm:
        backend: Any = crm.backend
        now = datetime.now(UTC)
        with backend.transaction() as tx:
            tx.enqueue([NewJob("mail", {"n": n}, now, group=f"g{n % 2}") for n in range(7)])
            tx.save_position("copy-test", 42)
        backend.claim_jobs(worker="worker-1", now=now, lease=timedelta(minutes=5), limit=2)


def _lines(store: Any) -> list[tuple[str, str]]:
    return [_line(item, store.schema) for item in dump_store(store)]


def _kill_part_way(source: str, destination: str) -> None:
    """Run the copy in a child, one item a batch, and kill it after a random number of batches."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE), *sys.path])}
    command = [sys.executable, str(WORKER), source, destination, "1"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert child.stdout is not None
    for _batch in range(random.randint(1, 200)):  # of some 400
        assert "/" in child.stdout.readline()
    child.kill()
    child.wait()
    child.stdout.close()


@pytest.mark.parametrize("direction", ["sqlite-to-jsonl", "jsonl-to-sqlite"])
def test_a_copy_killed_at_a_random_moment_continues_to_the_same_store(
    demo_into: Callable[[str], None],
    direction: str,
    jsonl: Any,
    sqlite_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    first, journal = sqlite_url("first"), str(tmp_path / "copy.jsonl")
    _demo_store(demo_into, first)
    with open_store(first) as crm:
        backend: Any = crm.backend
        schema = backend.schema
        # The journal does not keep old record versions (no ``versions`` capability):
        # they are left out of a copy into it, so neither direction carries them.
        expected = [line for line in _lines(backend) if line[0] != "version"]
        if direction == "jsonl-to-sqlite":  # the source is a journal made beforehand
            made = jsonl(journal, schema)
            copy_any(backend, made)
            made.close()
    source, destination = (
        (first, journal) if direction == "sqlite-to-jsonl" else (journal, sqlite_url("back"))
    )
    _kill_part_way(source, destination)

    def open_any(where: str) -> Any:
        return jsonl(where, schema) if where.endswith(".jsonl") else open_store(where).backend

    src, dst = open_any(source), open_any(destination)
    try:
        mark = dst.load_mark()
        assert mark is not None  # the killed child committed a batch and its marker
        report = copy_any(src, dst, batch=50)
        assert report.resumed
        assert _lines(dst) == expected
        again = copy_any(src, dst)  # killed after the last batch: run again, only verifies
        assert again.resumed
        assert again.checksums == report.checksums
    finally:
        src.close()
        dst.close()
    reopened = open_any(destination)  # the journal (or the file) holds it all
    try:
        assert _lines(reopened) == expected
    finally:
        reopened.close()


def test_an_interrupted_copy_of_another_source_is_refused(
    demo_into: Callable[[str], None], jsonl: Any, sqlite_url: Callable[[str], str], tmp_path: Path
) -> None:
    first, other = sqlite_url("first"), sqlite_url("other")
    _demo_store(demo_into, first)
    with open_store(first) as crm, open_store(other) as empty:
        source: Any = crm.backend
        dst = jsonl(tmp_path / "half.jsonl", source.schema)
        calls = 0

        def stop(_table: str, _done: int, _total: int) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise KeyboardInterrupt

        try:
            with pytest.raises(KeyboardInterrupt):
                copy_any(crm.backend, dst, batch=5, progress=stop)
            with pytest.raises(StorageError, match="another source"):
                copy_any(empty.backend, dst)
            assert dst.load_mark().done == 10
            assert copy_any(crm.backend, dst).resumed
            assert _lines(dst) == [x for x in _lines(crm.backend) if x[0] != "version"]
        finally:
            dst.close()


@pytest.mark.parametrize("batch", [0, -1, 100_001, 2.0])
def test_a_bad_batch_is_refused_before_anything_is_copied(batch: Any) -> None:
    from relationship_core.exceptions import ValidationError

    with open_store("memory://") as src, open_store("memory://") as dst:
        with pytest.raises(ValidationError, match="batch"):
            copy_any(src.backend, dst.backend, batch=batch)
        assert dst.backend.load_mark() is None  # type: ignore[attr-defined]
