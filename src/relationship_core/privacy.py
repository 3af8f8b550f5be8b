"""Privacy and accountability: erase or export a party's data, and who changed a record.

See docs/privacy.md for what each function does, what it keeps and why.
"""

from __future__ import annotations

from relationship_core._privacy.erase import ErasureReport, PartyErased, erase_party
from relationship_core._privacy.export import PartyExport, export_party
from relationship_core._privacy.history import Change, Erasure, erasures, history
from relationship_core._privacy.scrub import ERASED, Subject
from relationship_core._privacy.spec import Redact, RedactorSpec

__all__ = [
    "ERASED",
    "Change",
    "Erasure",
    "ErasureReport",
    "PartyErased",
    "PartyExport",
    "Redact",
    "RedactorSpec",
    "Subject",
    "erase_party",
    "erasures",
    "export_party",
    "history",
]
