"""The plugin manager: built-ins through the same hook, entry points, failures, blocking."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from relationship_core._plugins import manager as manager_module
from relationship_core.exceptions import (
    BackendUnavailableError,
    DuplicateBackendError,
    PluginLoadError,
    UnknownBackendError,
)
from relationship_core.plugins import (
    BLOCK_ENV,
    DEFAULT_PLUGINS,
    PROJECT,
    KindSpec,
    MemoryBackend,
    PluginManager,
    Schema,
    StorageBackend,
    StorageBackendSpec,
    StorageURL,
    get_plugin_manager,
    hookimpl,
)

SCHEMA = Schema([KindSpec("thing", {"name": "str"})])


def _open_mine(url: StorageURL, schema: Schema) -> StorageBackend:
    return MemoryBackend(schema)


class MinePlugin:
    """A third-party plugin offering the ``mine://`` scheme."""

    @hookimpl
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:
        return [StorageBackendSpec("mine", ("mine",), _open_mine, "test backend")]


class SqliteImpostor:
    @hookimpl
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:
        return [StorageBackendSpec("fake-sqlite", ("sqlite",), _open_mine)]


class Raising:
    @hookimpl
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:
        raise RuntimeError("plugin bug")


class Garbage:
    @hookimpl
    def relationship_core_storage_backends(self) -> Any:
        return ["not a spec"]


def _fresh(**kw: Any) -> PluginManager:
    return PluginManager(entry_points=False, blocked=(), **kw).load()


def test_one_project_string() -> None:
    assert PROJECT == "relationship_core"
    pm = _fresh()
    assert pm.pm.project_name == PROJECT


def test_builtins_register_through_the_hook() -> None:
    pm = _fresh()
    assert pm.plugin_names() == sorted(name for name, _ in DEFAULT_PLUGINS)
    found = pm.hooks.storage_backends()
    assert {(plugin, spec.name) for plugin, spec in found} == {
        ("relationship_core.memory", "memory"),
        ("relationship_core.sqlite", "sqlite"),
        ("relationship_core.postgresql", "postgresql"),
    }
    assert set(pm.storage_backends()) == {"memory", "sqlite", "postgresql", "postgres"}
    store = pm.open_backend("memory://", SCHEMA)
    assert isinstance(store, MemoryBackend)
    store.close()


def test_third_party_backend_by_scheme() -> None:
    pm = _fresh()
    pm.register(MinePlugin(), name="mine-plugin")
    assert pm.backend_for("mine").name == "mine"
    store = pm.open_backend("mine://anything", SCHEMA)
    assert isinstance(store, MemoryBackend)
    store.close()


def test_unknown_scheme_lists_the_available_ones() -> None:
    pm = _fresh()
    with pytest.raises(UnknownBackendError) as info:
        pm.open_backend("redis://localhost", SCHEMA)
    assert info.value.scheme == "redis"
    assert info.value.available == ("memory", "postgres", "postgresql", "sqlite")
    assert "sqlite://" in str(info.value)


def test_duplicate_scheme_names_both_plugins() -> None:
    pm = _fresh()
    pm.register(SqliteImpostor(), name="impostor")
    with pytest.raises(DuplicateBackendError) as info:
        pm.backend_for("sqlite")
    assert set(info.value.plugins) == {"relationship_core.sqlite", "impostor"}
    assert "impostor" in str(info.value)
    assert "relationship_core.sqlite" in str(info.value)
    with pytest.raises(DuplicateBackendError):
        pm.storage_backends()
    assert pm.backend_for("memory").name == "memory"  # other schemes still work


def test_blocking_a_builtin_lets_a_replacement_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLOCK_ENV, "relationship_core.sqlite, someone.else")
    pm = PluginManager(entry_points=False).load()
    assert "relationship_core.sqlite" not in pm.plugin_names()
    with pytest.raises(UnknownBackendError):
        pm.backend_for("sqlite")
    pm.register(SqliteImpostor(), name="impostor")
    assert pm.backend_for("sqlite").name == "fake-sqlite"
    assert pm.register(MinePlugin(), name="someone.else") == "someone.else"
    with pytest.raises(UnknownBackendError):
        pm.backend_for("mine")


def test_a_plugin_that_fails_to_import_is_reported_and_the_host_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pm = PluginManager(
        default_plugins=[*DEFAULT_PLUGINS, ("broken", "relationship_core_no_such_module:plugin")],
        entry_points=False,
        blocked=(),
    ).load()
    [error] = pm.load_errors
    assert isinstance(error, PluginLoadError)
    assert error.plugin == "broken"
    assert "broken" in caplog.text
    store = pm.open_backend("memory://", SCHEMA)  # the others still work
    store.close()
    with pytest.raises(UnknownBackendError) as info:
        pm.backend_for("nope")
    assert any("broken" in note for note in info.value.__notes__)


@pytest.mark.parametrize("plugin", [Raising(), Garbage()])
def test_a_misbehaving_hook_is_reported_by_name(plugin: object) -> None:
    pm = _fresh()
    pm.register(plugin, name="bad-one")
    assert pm.backend_for("memory").name == "memory"
    assert [e.plugin for e in pm.load_errors] == ["bad-one"]


def test_entry_points_are_loaded_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    class MemoryImpostor:
        @hookimpl
        def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:
            return [StorageBackendSpec("other-memory", ("memory",), _open_mine)]

    class FakeEntryPoint:
        def __init__(self, name: str, target: object) -> None:
            self.name = name
            self.target = target

        def load(self) -> object:
            if isinstance(self.target, str):
                return EntryPoint(self.name, self.target, PROJECT).load()
            return self.target

    eps = [
        FakeEntryPoint("dupe-memory", MemoryImpostor()),
        FakeEntryPoint("missing", "relationship_core_missing_plugin"),
        FakeEntryPoint("blocked-one", "relationship_core_missing_too"),
    ]

    def fake(group: str) -> list[FakeEntryPoint]:
        assert group == PROJECT
        return eps

    monkeypatch.setattr(manager_module, "entry_points", fake)
    pm = PluginManager(blocked=["blocked-one"]).load()
    assert "dupe-memory" in pm.plugin_names()
    assert [e.plugin for e in pm.load_errors] == ["missing"]
    with pytest.raises(DuplicateBackendError) as info:
        pm.backend_for("memory")
    assert set(info.value.plugins) == {"relationship_core.memory", "dupe-memory"}


def test_the_default_manager_is_shared_and_loaded() -> None:
    assert get_plugin_manager() is get_plugin_manager()
    assert "relationship_core.sqlite" in get_plugin_manager().plugin_names()


def test_loading_is_lazy() -> None:
    code = (
        "import sys, relationship_core, relationship_core.plugins;"
        "print(sorted(m for m in ('psycopg', 'psycopg_pool', 'relationship_core._storage.sqlite',"
        " 'relationship_core._storage.postgres') if m in sys.modules))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_postgres_without_the_extra_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from relationship_core.plugins import get_plugin_manager, Schema\n"
        "from relationship_core.exceptions import BackendUnavailableError\n"
        "try:\n"
        "    get_plugin_manager().open_backend('postgresql://x/y', Schema([]))\n"
        "except BackendUnavailableError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "relationship-core[postgres]" in out
    assert issubclass(BackendUnavailableError, ConnectionError)


def test_one_plugin_giving_two_values_one_name_is_a_dispute_not_a_silent_drop() -> None:
    from relationship_core.exceptions import DuplicateContributionError
    from relationship_core.plugins import Contribution, Named

    same = Named("event handler", [Contribution("p", "h", 1), Contribution("p", "h", 1)])
    assert same.get("h") == 1  # the same value twice is one contribution
    named = Named("event handler", [Contribution("p", "h", 1), Contribution("p", "h", 2)])
    with pytest.raises(DuplicateContributionError) as info:
        named.get("h")
    assert info.value.plugins == ("p", "p")
    with pytest.raises(DuplicateContributionError):
        named.values()


def test_every_builtin_plugin_loads_without_the_extras() -> None:
    """A bare ``pip install .`` loads every built-in plugin: no extra is imported to load one."""
    extras = [
        "babel", "jinja2", "starlette", "multipart", "itsdangerous", "apprise", "aiosmtpd",
        "holidays", "numpy", "scipy", "pandas", "matplotlib", "psycopg", "psycopg_pool",
    ]  # fmt: skip
    code = (
        "import sys\n"
        f"for name in {extras!r}:\n"
        "    sys.modules[name] = None\n"
        "import relationship_core as rc\n"
        "from relationship_core.plugins import get_plugin_manager\n"
        "rc.open('memory://').close()\n"
        "print([str(e) for e in get_plugin_manager().load_errors])\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    assert "failed to load" not in out.stderr
