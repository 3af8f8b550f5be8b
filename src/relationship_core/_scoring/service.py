"""Scoring in a store: models a store scores with, rescoring on the bus, stored snapshots.

Application side of `relationship_core._scoring`. `ScoringService.use`
gives a store a `ScoringModel` (until ``open(url, config={"scoring": ...})``
exists, this call is how a store is configured; make it once after opening).
From then on, every ``interaction.logged`` rescores the interaction's party
under each model **in the unit of work that logged it**, stores its
`PartyScore` and publishes ``score.crossed`` for each threshold crossed
(with the model's hysteresis, remembered in the stored score). Parties record
no events when they are edited, so after editing a party's attributes call
`ScoringService.rescore`.

Every rescore also enqueues a job at the instant decay alone would take the
score below a threshold's ``down`` level (`relationship_core._scoring.decay`),
so ``score.crossed`` fires then even when the party does nothing; the runner
(``relationship-core worker``) runs it.

The models live with the store's bus (one set per opened `CRM`); the scores
themselves are stored.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from relationship_core._app.facade import CRM
from relationship_core._app.repository import Results, require_store
from relationship_core._domain.actor import Actor
from relationship_core._domain.engagements import Interaction
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.specs import EventHandlerSpec, JobHandlerSpec
from relationship_core._scoring.adjustments import ScoreAdjustment, adjustment_lines
from relationship_core._scoring.decay import DECAY_QUEUE, enqueue_decay_check, is_stale
from relationship_core._scoring.engine import Lead, score
from relationship_core._scoring.kinds import PARTY_SCORES, SCORE_ADJUSTMENTS
from relationship_core._scoring.loading import load_model
from relationship_core._scoring.model import ScoringModel
from relationship_core._scoring.stored import PartyScore, score_id
from relationship_core.exceptions import NotFoundError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.bus import EventBus
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._storage.contract import Job

__all__ = [
    "DECAY_HANDLER",
    "RESCORE_HANDLER",
    "ScoringService",
    "check_decay",
    "models_in_use",
    "rescore_party",
]

#: The name of the rescoring handler the scoring plugin contributes.
RESCORE_HANDLER = "scoring.rescore-on-interaction"

#: The ``scoring`` setting listing the models a store scores with from the start.
MODELS = "models"

#: The ``scoring`` setting switching the rescoring handler (default ``True``).
RESCORE_ON_INTERACTION = "rescore_on_interaction"


class _Models:
    """The models one store's bus scores with (copied on write: handlers read without a lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_name: Mapping[str, ScoringModel] = {}
        self.seeded = False

    def seed(self, settings: Mapping[str, object]) -> _Models:
        """Take the models of ``config={"scoring": {"models": [...]}}``, once per store."""
        if self.seeded:
            return self
        with self.lock:
            if not self.seeded:
                given = settings.get(MODELS, ())
                if not isinstance(given, (list, tuple)):
                    raise ValidationError(
                        "config['scoring']['models']", given, "a list of models (or mappings)"
                    )
                models = [m if isinstance(m, ScoringModel) else load_model(m) for m in given]
                self.by_name = {**{m.name: m for m in models}, **self.by_name}
                self.seeded = True
        return self


_STORES: weakref.WeakKeyDictionary[EventBus, _Models] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def rescore_party(
    uow: UnitOfWork,
    party_id: str,
    models: Mapping[str, ScoringModel],
    at: datetime,
    interaction: Interaction | None = None,
    *,
    adjustment: ScoreAdjustment | None = None,
) -> dict[str, PartyScore]:
    """Score the party under every model at *at*, in *uow*; its stored scores by model name.

    Reads the party, its stored interactions (plus *interaction*, one this
    unit of work logged and has not stored yet) and its score adjustments
    (plus *adjustment*, likewise). A party that is not stored is not scored.
    """
    party = uow.parties.find(party_id)
    if party is None or not models:
        return {}
    seen = {i.id: i for i in uow.repository(Interaction).iterate(party_id=party_id)}
    if interaction is not None:
        seen[interaction.id] = interaction
    lead = Lead.from_party(party, interactions=seen.values())
    repo = uow.repository(PARTY_SCORES)
    adjustments = {
        a.id: a
        for a in (
            uow.repository(SCORE_ADJUSTMENTS).iterate(party_id=party_id)
            if SCORE_ADJUSTMENTS.kind in uow.session.registry
            else ()
        )
    }
    if adjustment is not None:
        adjustments[adjustment.id] = adjustment
    out = {}
    for name, model in models.items():
        stored = repo.find(score_id(name, party_id))
        if stored is None:
            stored = repo.add(PartyScore(party_id=party_id, model=name))
        stored.record(
            model, score(model, lead, at), adjustment_lines(adjustments.values(), name, at)
        )
        enqueue_decay_check(uow, stored, model, lead, at)
        out[name] = stored
    return out


def _models_of(bus: EventBus) -> _Models:
    with _STORES_LOCK:
        models = _STORES.get(bus)
        if models is None:
            models = _STORES[bus] = _Models()
    return models


def models_in_use(uow: UnitOfWork) -> dict[str, ScoringModel]:
    """The models the store of *uow* scores with, by name."""
    return dict(_models_of(uow._crm.bus).seed(uow.config("scoring")).by_name)


def check_decay(job: Job, uow: UnitOfWork) -> None:
    """A decay check is due: rescore the party under its model as of the job's instant.

    Does nothing when the model is no longer in use, the party or its score
    is gone, or a later rescore made the check stale.
    """
    name, party_id = job.payload.get("model"), job.payload.get("party_id")
    if not isinstance(name, str) or not isinstance(party_id, str):
        raise ValidationError("job.payload", dict(job.payload), "give party_id and model")
    model = _models_of(uow._crm.bus).seed(uow.config("scoring")).by_name.get(name)
    if model is None or is_stale(uow.repository(PARTY_SCORES).find(score_id(name, party_id)), job):
        return
    rescore_party(uow, party_id, {name: model}, job.due_at)


#: The job handler of decay checks (the scoring plugin contributes it).
DECAY_HANDLER = JobHandlerSpec(
    DECAY_QUEUE, check_decay, "rescore a party when decay takes its score past a threshold"
)


def rescore_on_interaction(event: DomainEvent, uow: UnitOfWork) -> None:
    """Rescore the interaction's party under the store's models, in the same unit of work."""
    settings = uow.config("scoring")
    if not settings.get(RESCORE_ON_INTERACTION, True):
        return
    models = _models_of(uow._crm.bus).seed(settings)
    if not models.by_name:
        return
    party_id = getattr(event, "party_id", None)
    if not isinstance(party_id, str):
        raise ValidationError("event.party_id", party_id, f"{event.name} names no party")
    logged = uow.repository(Interaction).find(getattr(event, "interaction_id", ""))
    rescore_party(uow, party_id, models.by_name, event.occurred_at, logged)


#: The rescoring handler (the scoring plugin contributes it to every store).
RESCORE = EventHandlerSpec(RESCORE_HANDLER, "interaction.logged", rescore_on_interaction)


class ScoringService:
    """The scoring models of one opened store, and its parties' stored scores.

    Args:
        crm: The open store (its plugins must include the scoring feature, the default).
    """

    def __init__(self, crm: CRM) -> None:
        require_store("crm", crm)
        self._crm = crm
        self._models = _models_of(crm.bus).seed(crm.config.get("scoring", {}))

    @property
    def models(self) -> tuple[ScoringModel, ...]:
        """The models this store scores with, in the order given."""
        return tuple(self._models.by_name.values())

    def use(self, model: ScoringModel) -> None:
        """Score with *model* from now on (replacing a model of the same name)."""
        if not isinstance(model, ScoringModel):
            raise ValidationError("model", model, "give a ScoringModel (load_model(...))")
        with self._models.lock:
            self._models.by_name = {**self._models.by_name, model.name: model}
            if RESCORE_HANDLER not in self._crm.bus.names():  # a store without the plugin
                self._crm.bus.register(RESCORE)

    def stop(self, name: str) -> None:
        """Stop scoring with the model named *name* (its stored scores stay)."""
        with self._models.lock:
            if name not in self._models.by_name:
                known = ", ".join(self._models.by_name) or "none"
                raise ValidationError("model", name, f"not in use; in use: {known}")
            self._models.by_name = {k: v for k, v in self._models.by_name.items() if k != name}

    def rescore(
        self, party_id: str, *, at: datetime | None = None, actor: Actor | None = None
    ) -> dict[str, PartyScore]:
        """Score one stored party now (or at *at*) under every model; its scores by model.

        Raises:
            NotFoundError: The party is not stored.
        """
        with self._crm.unit_of_work(actor) as uow:
            if uow.parties.find(party_id) is None:
                raise NotFoundError("party", party_id)
            return rescore_party(uow, party_id, self._models.by_name, at or self._crm.clock.now())

    def of(self, party_id: str, model: str | None = None) -> PartyScore | None:
        """The party's stored score under *model* (default: the only model in use)."""
        return self._crm.repository(PARTY_SCORES).find(score_id(self._name(model), party_id))

    def above(
        self, value: Decimal | int, model: str | None = None, *, limit: int = 100
    ) -> Results[PartyScore]:
        """Stored scores over *value* under *model*, highest first."""
        return self._crm.repository(PARTY_SCORES).query(
            ("score", "gt", float(value)),
            model=self._name(model),
            order_by="score",
            descending=True,
            limit=limit,
        )

    def _name(self, model: str | None) -> str:
        if model is not None:
            return model
        names = list(self._models.by_name)
        if len(names) != 1:
            raise ValidationError(
                "model", None, f"name the model; in use: {', '.join(names) or 'none'}"
            )
        return names[0]
