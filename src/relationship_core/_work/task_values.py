"""What a task is made of besides itself: assignees, priorities, progress, the fulfil link."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction

import attrs

from relationship_core._domain.validators import non_empty_text, to_enum
from relationship_core.exceptions import InvalidTransitionError

__all__ = ["Assignee", "AssigneeKind", "BlockedError", "FulfilOrder", "Priority", "Progress"]


class AssigneeKind(enum.Enum):
    """Who a task is given to."""

    PERSON = "person"
    TEAM = "team"


def _assignee_kind(value: object) -> AssigneeKind:
    return to_enum(AssigneeKind, "assignee.kind", value)


@attrs.frozen
class Assignee:
    """A person or a team, by id.

    Attributes:
        kind: Person or team.
        id: Their id.
    """

    kind: AssigneeKind = attrs.field(converter=_assignee_kind)
    id: str = attrs.field(validator=non_empty_text)

    @classmethod
    def person(cls, id: str) -> Assignee:
        """A person assignee."""
        return cls(AssigneeKind.PERSON, id)

    @classmethod
    def team(cls, id: str) -> Assignee:
        """A team assignee."""
        return cls(AssigneeKind.TEAM, id)


class Priority(enum.Enum):
    """ClickUp's four priorities."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@attrs.frozen(kw_only=True)
class FulfilOrder:
    """The command an order's finished task hands to billing, which owns the order's state.

    Attributes:
        order_id: The order to fulfil.
        task_id: The task that finished it.
        by: Who finished it.
        at: When.
    """

    order_id: str
    task_id: str
    by: str
    at: datetime

    @property
    def key(self) -> str:
        """Idempotency key: one fulfilment per order, however often the task is redone."""
        return f"order:{self.order_id}:fulfil"


@attrs.frozen
class Progress:
    """Derived progress: checklist items ticked and subtasks closed, out of all of them.

    Attributes:
        done: Items ticked plus subtasks closed.
        total: All items plus all subtasks.
    """

    done: int
    total: int

    @property
    def fraction(self) -> Fraction:
        """``done / total`` exactly; 1 for a task with nothing to count when closed, else 0."""
        return Fraction(self.done, self.total) if self.total else Fraction(0)

    @property
    def percent(self) -> int:
        """Rounded down to a whole percent."""
        return int(self.fraction * 100)


class BlockedError(InvalidTransitionError):
    """A task cannot start or be done while a task blocking it is open.

    Attributes:
        blockers: The ids of the open blockers.
    """

    def __init__(self, current: str, requested: str, blockers: Iterable[str]) -> None:
        self.blockers = tuple(blockers)
        super().__init__("task", current, requested, ())
        self.args = (
            (
                f"task cannot move from {current!r} to {requested!r} while blocked by open "
                f"task(s) {', '.join(self.blockers)}; close those first or remove the dependency"
            ),
        )
