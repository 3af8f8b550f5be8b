"""The example third-party backend (examples/jsonl_backend): installed with pip, found
through the ``relationship_core`` entry-point group, and held to the conformance kit."""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from relationship_core.plugins import PluginManager, Schema, StorageBackend
from relationship_core.testing.storage import BackendMaker, StorageBackendTests

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jsonl_backend"
DIST = "relationship-core-jsonl"


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - pip of the running interpreter
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginManager]:
    """Install the example into this environment (offline if the build tools are here)."""
    # Build from a copy, so the build leaves nothing behind in the source tree.
    source = tmp_path_factory.mktemp("example") / "jsonl_backend"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    try:
        importlib.metadata.version(DIST)
        ours = False
    except importlib.metadata.PackageNotFoundError:
        done = _pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(source))
        if done.returncode != 0:  # no setuptools/wheel here: let pip fetch the build tools
            done = _pip("install", "--no-deps", str(source))
        assert done.returncode == 0, done.stderr
        ours = True
    importlib.invalidate_caches()
    manager = PluginManager(blocked=()).load()
    try:
        yield manager
    finally:
        if ours:
            _pip("uninstall", "--yes", DIST)


def test_found_through_the_entry_point_group(installed: PluginManager) -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group="relationship_core")}
    assert "jsonl" in names
    assert "jsonl" in installed.plugin_names()
    assert installed.backend_for("jsonl").name == "jsonl"
    assert installed.load_errors == []


def test_blocking_it_by_name(installed: PluginManager) -> None:
    blocked = PluginManager(blocked=["jsonl"]).load()
    assert "jsonl" not in blocked.plugin_names()
    assert "jsonl" not in blocked.storage_backends()


@pytest.mark.slow
class TestJsonlBackend(StorageBackendTests):
    @pytest.fixture
    def make_backend(self, installed: PluginManager, tmp_path: Path) -> BackendMaker:
        def make(schema: Schema, name: str = "default") -> StorageBackend:
            return installed.open_backend(f"jsonl:///{tmp_path / name}.jsonl", schema)

        return make

    def test_a_torn_last_line_is_ignored(self, make_backend: BackendMaker, tmp_path: Path) -> None:
        from relationship_core.testing.storage import KIT_SCHEMA, item

        store = make_backend(KIT_SCHEMA, "torn")
        with store.transaction() as tx:
            tx.put_many([item("a")])
        store.close()
        journal = tmp_path / "torn.jsonl"
        with journal.open("a", encoding="utf-8") as fh:
            fh.write('{"tx": [["put", [["item", "b"')  # a crash mid-write
        again = make_backend(KIT_SCHEMA, "torn")
        assert set(again.get_many("item", ["a", "b"])) == {"a"}
        with again.transaction() as tx:  # appends after the torn tail was dropped
            tx.put_many([item("c")])
        again.close()
        third = make_backend(KIT_SCHEMA, "torn")
        assert set(third.get_many("item", ["a", "b", "c"])) == {"a", "c"}
        third.close()


def test_copy_to_and_from_jsonl_and_replay_keeps_claims(
    installed: PluginManager, tmp_path: Path
) -> None:
    from relationship_core.exceptions import UniqueKeyConflictError
    from relationship_core.plugins import KindSpec, Query, Write, copy_any, dump_store

    schema = Schema([KindSpec("contact", {"name": "str", "tags": "str[]"}, unique=("email",))])
    src = installed.open_backend(f"sqlite:///{tmp_path / 'src.db'}", schema)
    with src.transaction() as tx:
        tx.put_many(
            [
                Write("contact", f"c{i}", {"i": i}, {"name": f"n{i}", "tags": ["VIP"]},
                      keys={"email": [f"c{i}@x.org"]})
                for i in range(5)
            ]
        )  # fmt: skip
    journal = f"jsonl:///{tmp_path / 'copy.jsonl'}"
    dst = installed.open_backend(journal, schema)
    report = copy_any(src, dst)
    assert report.tables["record:contact"] == 5
    dst.close()
    again = installed.open_backend(journal, schema)  # the load line replays
    assert [r.id for r in again.query(Query("contact", [("tags", "prefix", "v")])).records] == [
        f"c{i}" for i in range(5)
    ]
    with pytest.raises(UniqueKeyConflictError), again.transaction() as tx:
        tx.put_many(
            [Write("contact", "z", {}, {"name": "z", "tags": []}, keys={"email": ["C1@x.org"]})]
        )
    with again.transaction() as tx:
        tx.put_many(
            [Write("contact", "y", {}, {"name": "y", "tags": []}, keys={"email": ["y@x.org"]})]
        )
    again.close()
    third = installed.open_backend(journal, schema)  # claims journalled with a put replay too
    with pytest.raises(UniqueKeyConflictError), third.transaction() as tx:
        tx.put_many(
            [Write("contact", "w", {}, {"name": "w", "tags": []}, keys={"email": ["Y@x.org"]})]
        )
    back = installed.open_backend(f"sqlite:///{tmp_path / 'back.db'}", schema)
    copy_any(third, back)
    assert len(list(dump_store(back))) == 6
    for store in (src, third, back):
        store.close()
