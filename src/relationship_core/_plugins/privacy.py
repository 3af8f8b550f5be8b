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
from relationship_core._privacy.scrub import ERASED, Subject
from relationship_core._privacy.spec import RedactorSpec
from relationship_core._work.requirements import STANDARD_SECTIONS

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


def _rule_audit(document: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """The rule audit: the condition values recorded (the party's data) emptied; rules kept."""
    failed = [
        {
            **rule,
            "conditions": [{**c, "values": []} for c in rule.get("conditions") or ()],
        }
        for rule in document.get("failed") or ()
    ]
    return {**document, "failed": failed}


def _requirement(document: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """A requirement document: every revision's texts and note emptied, free section names too."""
    revisions = []
    for revision in document.get("revisions") or ():
        sections = revision.get("sections") or {}
        names = [
            name if name in STANDARD_SECTIONS else f"section {n + 1}"
            for n, name in enumerate(sections)
        ]
        texts = dict.fromkeys(names, ERASED)
        note = ERASED if revision.get("note") else ""
        revisions.append({**revision, "sections": texts, "note": note})
    return {**document, "revisions": revisions}


def _survey(document: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """A survey: the answer's comment emptied; its score and time kept (the CSAT report)."""
    answer = document.get("answer")
    if not isinstance(answer, dict) or not answer.get("comment"):
        return document
    return {**document, "answer": {**answer, "comment": ERASED}}


#: The library's own kinds' redaction rules.
BUILTIN_REDACTORS: tuple[RedactorSpec, ...] = (
    RedactorSpec("party", redact=_party),
    RedactorSpec("interaction", fields=("summary",)),
    RedactorSpec("ticket", fields=("name", "email", "problem", "attachments")),
    RedactorSpec("comment", fields=("body",)),
    RedactorSpec(
        "notification", fields=("subject", "text", "html", "payload", "detail"), mentions=True
    ),
    RedactorSpec("rule_audit", redact=_rule_audit, mentions=True),
    RedactorSpec("requirement", fields=("sections",), redact=_requirement),
    RedactorSpec("discovery_note", fields=("text",)),
    RedactorSpec("survey", redact=_survey),
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
