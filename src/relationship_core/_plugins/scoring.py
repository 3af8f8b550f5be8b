"""The "scoring" feature: stored party scores and the ``score.crossed`` event.

A built-in plugin (``relationship_core.scoring``) pointing the feature hooks at
`relationship_core._scoring`: the rescoring handler on ``interaction.logged``
and the decay-check job handler (queue ``scoring.decay-check``, see
`relationship_core._scoring.decay`). Both act only under the models a store
scores with, which are the store's business. Settings
(``open(url, config={"scoring": {...}})``):

* ``models``: the models (`ScoringModel`, or mappings `load_model` reads)
  to score with from the start; `ScoringService.use` adds more.
* ``rescore_on_interaction`` (default ``True``): ``False`` leaves rescoring
  to `ScoringService.rescore`.
* ``decay_checks`` (default ``True``): ``False`` enqueues no decay checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import EventHandlerSpec, JobHandlerSpec
from relationship_core._scoring.kinds import SCORING_MAPPINGS
from relationship_core._scoring.service import DECAY_HANDLER, RESCORE
from relationship_core._scoring.stored import ScoreCrossed

__all__ = [
    "relationship_core_event_handlers",
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


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """Rescoring on ``interaction.logged`` (under the store's models; none: nothing)."""
    return [RESCORE]
