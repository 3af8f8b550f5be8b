"""The "scoring" feature: stored party scores and the ``score.crossed`` event.

A built-in plugin (``relationship_core.scoring``) pointing the feature hooks at
`relationship_core._scoring`. Which models a store scores with is the
store's business, so the rescoring handler is registered per store by
`ScoringService.use` rather than contributed here. The decay-check job
handler (queue ``scoring.decay-check``, see `relationship_core._scoring.decay`)
is contributed: it only acts for scores of models the store scores with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import JobHandlerSpec
from relationship_core._scoring.kinds import SCORING_MAPPINGS
from relationship_core._scoring.service import DECAY_HANDLER
from relationship_core._scoring.stored import ScoreCrossed

__all__ = [
    "relationship_core_event_types",
    "relationship_core_job_handlers",
    "relationship_core_kinds",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Party scores (one per party per model)."""
    return list(SCORING_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """``score.crossed``."""
    return [ScoreCrossed]


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """The decay check (queue ``scoring.decay-check``)."""
    return [DECAY_HANDLER]
