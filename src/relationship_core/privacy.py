"""Privacy and accountability: erase or export a party's data, and who changed a record.

See docs/privacy.md for what each function does, what it keeps and why.
"""

from __future__ import annotations

from relationship_core._privacy.erase import ErasureReport, PartyErased, erase_party
from relationship_core._privacy.export import PartyExport, export_party
from relationship_core._privacy.history import Change, Erasure, FieldChange, erasures, history
from relationship_core._privacy.merge import (
    DuplicateGroup,
    PartyMerge,
    PartyMerged,
    confirm_merge,
    duplicates,
    merge_parties,
    undo_merge,
)
from relationship_core._privacy.retention import (
    DEFAULT_RETENTION,
    EVENTS,
    VERSIONS,
    RetentionPolicy,
    RetentionReport,
    apply_retention,
)
from relationship_core._privacy.scrub import ERASED, Subject
from relationship_core._privacy.similar import NAME_SIMILARITY, normalise_name, similar_names
from relationship_core._privacy.spec import Redact, RedactorSpec

__all__ = [
    "EVENTS",
    "VERSIONS",
    "DEFAULT_RETENTION",
    "ERASED",
    "NAME_SIMILARITY",
    "Change",
    "DuplicateGroup",
    "Erasure",
    "ErasureReport",
    "FieldChange",
    "PartyErased",
    "PartyExport",
    "PartyMerge",
    "PartyMerged",
    "Redact",
    "RetentionPolicy",
    "RetentionReport",
    "RedactorSpec",
    "Subject",
    "apply_retention",
    "confirm_merge",
    "duplicates",
    "erase_party",
    "erasures",
    "export_party",
    "history",
    "merge_parties",
    "normalise_name",
    "similar_names",
    "undo_merge",
]
