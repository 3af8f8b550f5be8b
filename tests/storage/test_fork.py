"""A PostgreSQL store opened before os.fork() keeps working in the parent and the child.

Before the fix the child used the parent's pooled sockets: both processes read
each other's replies (false "not found", misread rows, hangs).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

import pytest

from relationship_core.plugins import KindSpec, Schema, StorageBackend, Write, get_plugin_manager

SCHEMA = Schema([KindSpec("thing", {"name": "str"})])
ROUNDS = 150

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform == "win32", reason="os.fork is POSIX only"),
]


def _write(store: StorageBackend, rid: str) -> None:
    with store.transaction() as tx:
        tx.put_many([Write("thing", rid, {"who": rid}, {"name": rid})])


def _hammer(store: StorageBackend, own: str, shared: str) -> None:
    """Reads that go wrong at once if two processes share one socket."""
    for n in range(ROUNDS):
        got = store.get_many("thing", [shared, own])
        assert set(got) == {shared, own}, (n, sorted(got))
        assert got[own].data == {"who": own}


def test_store_survives_fork(pg_url: Callable[[str], str]) -> None:
    store = get_plugin_manager().open_backend(pg_url("fork"), SCHEMA)
    _write(store, "before")
    _write(store, "parent")
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            signal.alarm(30)  # a hang fails the test instead of blocking it
            _write(store, "child")
            _hammer(store, "child", "before")
            store.close()  # closes the child's own pool, not the parent's sockets
            status = 0
        finally:
            os._exit(status)
    try:
        _hammer(store, "parent", "before")
    finally:
        deadline = time.monotonic() + 60
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if done[0] == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert done[0] == pid, "the child hung"
    assert os.waitstatus_to_exitcode(done[1]) == 0, "the child's reads or writes went wrong"
    # The parent's pool is intact after the child used and closed its own.
    assert set(store.get_many("thing", ["before", "parent", "child"])) == {
        "before",
        "parent",
        "child",
    }
    _write(store, "after")
    _hammer(store, "after", "child")
    store.close()
