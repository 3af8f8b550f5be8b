"""Testing kit shipped with relationship_core (needs the ``test`` extra).

- `relationship_core.testing.strategies`: Hypothesis strategies for every domain type.
- `relationship_core.testing.storage`: the conformance kit a storage-backend author
  subclasses to prove their backend correct.
- `ManualClock`: a clock that moves only when told to.

Nothing here is activated on import: no fixtures leak into your test suite
until you subclass or import them yourself.
"""

from __future__ import annotations

from relationship_core._domain.clock import ManualClock

try:  # Let pytest rewrite the kit's asserts into readable failures.
    import pytest
except ImportError:  # pragma: no cover - the kit itself needs pytest; strategies do not
    pass
else:
    pytest.register_assert_rewrite("relationship_core.testing.storage")

from relationship_core.testing import strategies

__all__ = ["ManualClock", "strategies"]
