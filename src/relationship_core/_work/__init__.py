"""Work: tasks, checklists, recurring work, requirement documents and comments (pure domain)."""

from relationship_core._work.checklists import Checklist, ChecklistItem, Tick
from relationship_core._work.comments import (
    AuthorKind,
    Comment,
    SubjectKind,
    Visibility,
    parse_mentions,
)
from relationship_core._work.events import (
    WORK_EVENTS,
    ChecklistItemToggled,
    CommentAdded,
    OrderFulfilmentRequested,
    RequirementRevised,
    TaskAssigned,
    TaskCreated,
    TaskStatusChanged,
)
from relationship_core._work.recurrence import (
    Mode,
    Occurrence,
    RecurrenceSeries,
    Roll,
    next_occurrence,
    occurrences,
)
from relationship_core._work.requirements import (
    STANDARD_SECTIONS,
    DiscoveryNote,
    RequirementDocument,
    Revision,
)
from relationship_core._work.tasks import (
    Assignee,
    AssigneeKind,
    BlockedError,
    FulfilOrder,
    Priority,
    Progress,
    Task,
)
from relationship_core._work.workflow import DEFAULT_WORKFLOW, Status, StatusCategory, Workflow

__all__ = [
    "DEFAULT_WORKFLOW",
    "STANDARD_SECTIONS",
    "WORK_EVENTS",
    "Assignee",
    "AssigneeKind",
    "AuthorKind",
    "BlockedError",
    "Checklist",
    "ChecklistItem",
    "ChecklistItemToggled",
    "Comment",
    "CommentAdded",
    "DiscoveryNote",
    "FulfilOrder",
    "Mode",
    "Occurrence",
    "OrderFulfilmentRequested",
    "Priority",
    "Progress",
    "RecurrenceSeries",
    "RequirementDocument",
    "RequirementRevised",
    "Revision",
    "Roll",
    "Status",
    "StatusCategory",
    "SubjectKind",
    "Task",
    "TaskAssigned",
    "TaskCreated",
    "TaskStatusChanged",
    "Tick",
    "Visibility",
    "Workflow",
    "next_occurrence",
    "occurrences",
    "parse_mentions",
]
