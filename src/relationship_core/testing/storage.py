"""The storage-backend conformance kit: what makes a backend correct.

Subclass `StorageBackendTests` in your test suite and give it ONE
fixture, ``make_backend``, returning a callable ``(schema, name="default") ->
backend``. Calls with the same *name* must reach the same underlying store
(a reopen, for the ``persistent`` tests); different names, independent
empty stores::

    import pytest
    from relationship_core.testing.storage import StorageBackendTests

    class TestMyBackend(StorageBackendTests):
        @pytest.fixture
        def make_backend(self, tmp_path):
            return lambda schema, name="default": MyBackend(tmp_path / name, schema)

Tests of capabilities the backend does not declare (``persistent``,
``threads``, ``multiprocess``, ``job_control``) are skipped, not failed; the
``job_control`` ones (storage contract 2, in
``relationship_core.testing._storage_jobs``) pin down the job runner's
guarantee: a job completes inside the transaction of its handler's store
changes, so those happen exactly once, while effects outside the store are
at least once and must carry ``job.idempotency_key or job.id``. ``test_state_machine``
drives the backend and a plain dict model side by side with Hypothesis and
checks that they agree after every step; tune it with
``state_machine_settings``. The refusals every backend must share (over-long
indexed text, lone surrogates, a string given to ``in``) come from
``relationship_core.testing._storage_input``; exact aggregates and decimal
fields (SQL or the backend's own computation equal to Python's on random
data) from ``relationship_core.testing._storage_aggregates``; kept record versions
(capability ``versions``: every update and delete keeps what it replaced) from
``relationship_core.testing._storage_versions``. Nothing here is autouse: importing this module
changes nothing in your suite until you subclass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    run_state_machine_as_test,
)

from relationship_core._storage.protocols import StorageBackend
from relationship_core.testing._kit_schema import KIT_SCHEMA, BackendMaker, item
from relationship_core.testing._storage_aggregates import AggregateTests
from relationship_core.testing._storage_capabilities import CapabilityTests
from relationship_core.testing._storage_dump import DumpTests
from relationship_core.testing._storage_input import InputTests
from relationship_core.testing._storage_jobs import JobControlTests
from relationship_core.testing._storage_log import LogAndQueueTests
from relationship_core.testing._storage_machine import StorageStateMachine, make_state_machine
from relationship_core.testing._storage_multi import MultiValuedTests
from relationship_core.testing._storage_records import RecordTests
from relationship_core.testing._storage_resume import ResumableLoadTests
from relationship_core.testing._storage_unique import UniqueKeyTests
from relationship_core.testing._storage_versions import VersionTests

__all__ = [
    "KIT_SCHEMA",
    "item",
    "BackendMaker",
    "StorageBackendTests",
    "StorageStateMachine",
    "make_state_machine",
]


class StorageBackendTests(
    RecordTests,
    LogAndQueueTests,
    CapabilityTests,
    InputTests,
    JobControlTests,
    AggregateTests,
    UniqueKeyTests,
    MultiValuedTests,
    DumpTests,
    ResumableLoadTests,
    VersionTests,
):
    """Conformance tests; subclass and provide the ``make_backend`` fixture."""

    #: Hypothesis settings for :meth:`test_state_machine`.
    state_machine_settings: ClassVar[settings] = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )

    @pytest.fixture
    def make_backend(self) -> BackendMaker:
        """Override: return ``(schema, name="default") -> backend``."""
        raise NotImplementedError("override the make_backend fixture in your test class")

    @pytest.fixture
    def backend(self, make_backend: BackendMaker) -> Iterator[StorageBackend]:
        """A fresh store with `KIT_SCHEMA`, closed afterwards."""
        store = make_backend(KIT_SCHEMA, "kit")
        try:
            yield store
        finally:
            store.close()

    # -- the model ----------------------------------------------------------------------

    def test_state_machine(self, make_backend: BackendMaker) -> None:
        counter = iter(range(1_000_000))
        machine = make_state_machine(lambda: make_backend(KIT_SCHEMA, f"sm{next(counter)}"))
        run_state_machine_as_test(machine, settings=self.state_machine_settings)
