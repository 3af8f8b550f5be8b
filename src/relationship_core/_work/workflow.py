"""A business's task workflow: statuses and allowed moves, as data checked at load."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from relationship_core._domain.validators import check_text, items, non_empty_text, to_enum
from relationship_core.exceptions import ValidationError

__all__ = ["DEFAULT_WORKFLOW", "Status", "StatusCategory", "Workflow"]


class StatusCategory(enum.Enum):
    """What a status means, whatever a business calls it (ClickUp's status types)."""

    OPEN = "open"
    DONE = "done"  #: closed, the work was done (an order's task then fulfils the order)
    CANCELLED = "cancelled"  #: closed without the work

    @property
    def is_closed(self) -> bool:
        """Whether a task in this category is finished one way or the other."""
        return self is not StatusCategory.OPEN


def _category(value: object) -> StatusCategory:
    return to_enum(StatusCategory, "category", value)


def _transitions(value: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ValidationError("transitions", value, "expected a mapping of name -> names")
    return MappingProxyType(
        {
            check_text("transitions", k): tuple(
                check_text(f"transitions.{k}", t) for t in items(f"transitions.{k}", v)
            )
            for k, v in value.items()
        }
    )


@attrs.frozen
class Status:
    """One named status of a workflow.

    Attributes:
        name: The business's word for it (``"in review"``), unique ignoring case.
        category: Open, done or cancelled.
    """

    name: str = attrs.field(validator=non_empty_text)
    category: StatusCategory = attrs.field(default=StatusCategory.OPEN, converter=_category)

    @property
    def is_closed(self) -> bool:
        """Whether a task here is finished."""
        return self.category.is_closed


def _statuses(value: Iterable[Status | Mapping[str, object] | str]) -> tuple[Status, ...]:
    result: list[Status] = []
    seen: set[str] = set()
    for index, given in enumerate(items("statuses", value)):
        item = given
        if isinstance(given, str):
            item = Status(given)
        elif isinstance(given, Mapping):
            try:
                item = Status(str(given["name"]), given.get("category", "open"))
            except KeyError:
                raise ValidationError(
                    f"statuses[{index}]", given, "a status needs a name"
                ) from None
        if not isinstance(item, Status):
            raise ValidationError(
                f"statuses[{index}]", item, "expected a Status, a mapping or a name"
            )
        if (
            not isinstance(item.name, str)
            or not item.name.strip()
            or item.name != item.name.strip()
        ):
            raise ValidationError(
                f"statuses[{index}].name", item.name, "non-empty text without edge spaces"
            )
        folded = item.name.casefold()
        if folded in seen:
            raise ValidationError(
                f"statuses[{index}].name", item.name, "duplicate status name (case is ignored)"
            )
        seen.add(folded)
        result.append(item)
    if not result:
        raise ValidationError("statuses", value, "a workflow needs at least one status")
    return tuple(result)


@attrs.frozen
class Workflow:
    """The statuses a business's tasks move through, and the moves allowed.

    Checked when built (it is data, loaded from a dict): no duplicate names, no
    move to or from an unknown status, every status reachable from the first,
    and some closed status reachable.

    Examples:
        >>> flow = Workflow.from_dict({
        ...     "statuses": ["to do", "doing", {"name": "done", "category": "done"}],
        ...     "transitions": {"to do": ["doing"], "doing": ["done", "to do"], "done": ["doing"]},
        ... })
        >>> flow.initial.name, flow.allowed("doing")
        ('to do', ('done', 'to do'))

    Attributes:
        statuses: The statuses; the first is where a new task starts.
        transitions: Status name -> the names it may move to.
    """

    statuses: tuple[Status, ...] = attrs.field(converter=_statuses)
    transitions: Mapping[str, tuple[str, ...]] = attrs.field(converter=_transitions)

    def __attrs_post_init__(self) -> None:
        names = {s.name for s in self.statuses}
        for source, targets in self.transitions.items():
            if source not in names:
                raise ValidationError(
                    f"transitions.{source}", source, f"unknown status; known: {self._known()}"
                )
            for target in targets:
                if target not in names:
                    raise ValidationError(
                        f"transitions.{source}", target, f"unknown status; known: {self._known()}"
                    )
        reached = {self.statuses[0].name}
        frontier = [self.statuses[0].name]
        while frontier:
            for target in self.transitions.get(frontier.pop(), ()):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for status in self.statuses:
            if status.name not in reached:
                raise ValidationError(
                    "transitions",
                    status.name,
                    f"status cannot be reached from {self.statuses[0].name!r}",
                )
        if not any(s.is_closed for s in self.statuses):
            raise ValidationError("statuses", [s.name for s in self.statuses], "add a done status")

    def _known(self) -> str:
        return ", ".join(repr(s.name) for s in self.statuses)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Workflow:
        """A workflow from ``{"statuses": [...], "transitions": {name: [names]}}``."""
        if not isinstance(data, Mapping):
            raise ValidationError(
                "workflow", data, "expected a mapping with statuses and transitions"
            )
        transitions = data.get("transitions", {})
        if not isinstance(transitions, Mapping):
            raise ValidationError("transitions", transitions, "expected a mapping of name -> names")
        clean: dict[str, tuple[str, ...]] = {}
        for key, targets in transitions.items():
            if isinstance(targets, str) or not isinstance(targets, Iterable):
                raise ValidationError(
                    f"transitions.{key}", targets, "expected a list of status names"
                )
            clean[str(key)] = tuple(str(t) for t in targets)
        return cls(data.get("statuses", ()), clean)  # type: ignore[arg-type]

    @property
    def initial(self) -> Status:
        """Where a new task starts."""
        return self.statuses[0]

    def status(self, name: str) -> Status:
        """The status called *name*; `ValidationError` naming the known ones otherwise."""
        for status in self.statuses:
            if status.name == name:
                return status
        raise ValidationError("status", name, f"unknown status; known: {self._known()}")

    def allowed(self, name: str) -> tuple[str, ...]:
        """The statuses a task in *name* may move to."""
        return self.transitions.get(name, ())


#: A small default in the manner of ClickUp's: to do, in progress, done, cancelled.
DEFAULT_WORKFLOW = Workflow(
    [
        Status("to do"),
        Status("in progress"),
        Status("done", StatusCategory.DONE),
        Status("cancelled", StatusCategory.CANCELLED),
    ],
    {
        "to do": ("in progress", "done", "cancelled"),
        "in progress": ("to do", "done", "cancelled"),
        "done": ("in progress",),
        "cancelled": ("to do",),
    },
)
