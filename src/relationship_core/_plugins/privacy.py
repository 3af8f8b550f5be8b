"""The "privacy" feature: the ``party.erased`` event and the library's own redactors.

Each built-in kind that holds personal data beyond names, addresses and
phone numbers says here how its records about an erased party are redacted
(`relationship_core.privacy.RedactorSpec`); every other kind is scrubbed of
the party's identifying values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import JobHandlerSpec
from relationship_core._privacy.erase import PartyErased
from relationship_core._privacy.merge import MERGES, PartyMerged
from relationship_core._privacy.retention import QUEUE, retention_job
from relationship_core._privacy.scrub import Subject
from relationship_core._privacy.spec import RedactorSpec

__all__ = [
    "BUILTIN_REDACTORS",
    "relationship_core_event_types",
    "relationship_core_job_handlers",
    "relationship_core_kinds",
    "relationship_core_redactors",
]


def _party(document: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """The party itself: a pseudonym for its name; no addresses, phone, tags or custom fields."""
    out = {**document, "name": f"Erased party {subject.pseudonym}", "emails": []}
    out.update(tags=[], custom_fields={})
    if "phone" in out:
        out["phone"] = None
    return out


def _schedule(document: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """A schedule for the party stops (its pending occurrence is cancelled with its group)."""
    active = document.get("state") == "active"
    return {**document, "state": "cancelled"} if active else document


#: The library's own kinds' redaction rules.
BUILTIN_REDACTORS: tuple[RedactorSpec, ...] = (
    RedactorSpec("party", redact=_party),
    RedactorSpec("interaction", fields=("summary",)),
    RedactorSpec("ticket", fields=("name", "email", "problem", "attachments")),
    RedactorSpec("comment", fields=("body",)),
    RedactorSpec("notification", fields=("text", "html", "payload")),
    RedactorSpec("support_contact", delete=True),
    RedactorSpec("web_sign_in", delete=True),
    RedactorSpec("schedule", redact=_schedule),
    RedactorSpec("party_merge", fields=("dropped",)),
    RedactorSpec("invoice", accounting=True),
    RedactorSpec("credit_note", accounting=True),
    RedactorSpec("order", accounting=True),
)


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Merges of duplicate parties (``party_merge``)."""
    return [MERGES]


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """``party.erased`` and ``party.merged``."""
    return [PartyErased, PartyMerged]


@hookimpl
def relationship_core_redactors() -> Sequence[RedactorSpec]:
    """The built-in kinds' redaction rules."""
    return list(BUILTIN_REDACTORS)


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """``privacy.retention``: the default retention policies, as of the job's due time."""
    return [JobHandlerSpec(QUEUE, retention_job, "remove personal text past its retention")]
