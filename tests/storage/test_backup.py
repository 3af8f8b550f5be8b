"""``relationship-core backup``: SQLite's online backup, consistent while a writer runs."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest

from relationship_core._app.facade import open_store
from relationship_core._cli import main


def test_backup_while_a_writer_runs_is_consistent_and_opens_as_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    stop = threading.Event()
    written: list[str] = []
    with open_store(url) as crm:
        for n in range(200):
            crm.jobs.enqueue("mail", {"n": n, "pad": "x" * 200})

        def writer() -> None:
            with open_store(url) as other:
                n = 0
                while not stop.is_set() and n < 5000:
                    written.append(other.jobs.enqueue("mail", {"w": n, "pad": "y" * 200}))
                    n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            while len(written) < 20:
                stop.wait(0.01)
            sizes: list[int] = []
            for i in range(3):
                code = main(["backup", url, str(tmp_path / f"b{i}.db")])
                out, err = capsys.readouterr()
                assert code == 0, err
                assert "integrity ok" in out
                sizes.append(len(written))
        finally:
            stop.set()
            thread.join()
    assert len(written) > sizes[0]  # the writer kept writing through the backups
    for i in range(3):
        path = tmp_path / f"b{i}.db"
        with contextlib.closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with open_store(f"sqlite:///{path}") as copy:
            ids = {job.id for job in copy.jobs.list_jobs(queue="mail", limit=10_000)}
        # A snapshot: the 200 jobs from before, then exactly the writer's first k, no holes.
        k = len(ids) - 200
        assert k >= 20
        assert set(written[:k]) <= ids
        assert not ids & set(written[k:])
    assert not list(tmp_path.glob(".*.partial"))


def test_backup_refuses_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    with open_store(url) as crm:
        crm.jobs.enqueue("mail", {"n": 1})
    target = tmp_path / "copy.db"
    target.write_text("keep me")
    assert main(["backup", url, str(target)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    assert main(["backup", url, str(target), "--force"]) == 0
    capsys.readouterr()
    with open_store(f"sqlite:///{target}") as copy:
        assert len(copy.jobs.list_jobs(queue="mail")) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://crm:Hunter2Secret@db/crm", "use pg_dump"),
        ("memory://", "pg_dump"),
        ("sqlite:///no/such/store.db", "no SQLite store at"),
    ],
)
def test_backup_refuses_what_it_cannot_copy(
    url: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", url, str(tmp_path / "b.db")]) == 2
    out, err = capsys.readouterr()
    assert message in err
    assert "Hunter2Secret" not in out + err
    assert not (tmp_path / "b.db").exists()
