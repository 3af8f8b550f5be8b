"""CSV import from spreadsheets and other CRMs (public names in `relationship_core.importing`)."""

from relationship_core._app.search import parties_by_email
from relationship_core._import.api import ImportReport, Progress, import_csv
from relationship_core._import.errors import ImportRejectedError, ImportStoppedError, RowProblem
from relationship_core._import.mapping import FIELDS, KINDS, PRESETS, ImportMapping, load_mapping

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
