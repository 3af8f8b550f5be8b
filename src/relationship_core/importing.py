"""CSV import: exports of HubSpot, ClickUp or any spreadsheet into an open store.

``import_csv(crm, "contacts.csv", "contacts", preset="hubspot-contacts")``
checks every row first (nothing is stored while any is bad), then writes
batches, each one unit of work with a progress marker, so an interrupted
import resumes where it stopped and a re-run of the same file changes
nothing. The command line is ``relationship-core import URL FILE.csv --kind ...``;
see docs/import.md.
"""

from relationship_core._import import (
    FIELDS,
    KINDS,
    PRESETS,
    ImportMapping,
    ImportRejectedError,
    ImportReport,
    ImportStoppedError,
    Progress,
    RowProblem,
    import_csv,
    load_mapping,
    parties_by_email,
)

__all__ = [
    "FIELDS",
    "KINDS",
    "PRESETS",
    "ImportMapping",
    "ImportRejectedError",
    "ImportReport",
    "ImportStoppedError",
    "Progress",
    "RowProblem",
    "import_csv",
    "load_mapping",
    "parties_by_email",
]
