"""A lifecycle as data: stages in order, the moves allowed between them, terminal outcomes."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from relationship_core._domain.validators import (
    check_text,
    items,
    non_empty_text,
    to_enum,
    tuple_of,
)
from relationship_core._lifecycle._checks import (
    lookup_stage,
    require_mapping,
    require_sequence,
    require_text,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = ["DEFAULT_LIFECYCLE", "Lifecycle", "LifecycleStage", "StageKind"]


class StageKind(enum.Enum):
    """What a stage means for the relationship.

    ``ACTIVE`` stages form the ordered main line ("more advanced" is later in
    it). ``ENDED`` stages are terminal outcomes (lost, disqualified, churned):
    entering one needs a reason code. Entering a ``RECYCLED`` stage starts a
    new cycle; the old cycles stay in the history.
    """

    ACTIVE = "active"
    ENDED = "ended"
    RECYCLED = "recycled"


def _kind(value: object) -> StageKind:
    return to_enum(StageKind, "kind", value)


def _rank(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(attribute.name, value, "expected a whole number or None")


@attrs.frozen
class LifecycleStage:
    """One named stage.

    Attributes:
        name: The stage's key, e.g. ``"sales-qualified"``.
        kind: Active (on the main line), ended (an outcome) or recycled.
        rank: Position on the main line, 0 first; ``None`` for outcomes.
    """

    name: str = attrs.field(validator=non_empty_text)
    kind: StageKind = attrs.field(converter=_kind)
    rank: int | None = attrs.field(default=None, validator=_rank)


def _freeze(table: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    table = require_mapping("transitions", table)
    return MappingProxyType(
        {check_text("transitions", k): _names(v, f"transitions.{k}") for k, v in table.items()}
    )


def _names(value: Iterable[str], field: str = "entry") -> frozenset[str]:
    return frozenset(check_text(field, name) for name in items(field, value))


def _stages(value: Iterable[LifecycleStage]) -> tuple[LifecycleStage, ...]:
    return tuple_of("stages", LifecycleStage, value)


@attrs.frozen(eq=False)
class Lifecycle:
    """A business's lifecycle: validated once, at load, then trusted.

    Build one with `Lifecycle.from_mapping` (a dict, or a TOML document
    parsed with ``tomllib``) or use `DEFAULT_LIFECYCLE`.

    Attributes:
        name: What the business calls it.
        stages: Every stage, main line first in order, then the outcomes.
        transitions: The moves allowed from each stage (declared, so a
            backward move such as a client lapsing to customer can be normal).
        entry: The stages a party's first move may enter.
    """

    name: str = attrs.field(validator=non_empty_text)
    stages: tuple[LifecycleStage, ...] = attrs.field(converter=_stages)
    transitions: Mapping[str, frozenset[str]] = attrs.field(converter=_freeze)
    entry: frozenset[str] = attrs.field(converter=_names)
    _by_name: Mapping[str, LifecycleStage] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {s.name: s for s in self.stages})
        _validate(self)

    # -- queries --------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Every stage name, in order."""
        return tuple(s.name for s in self.stages)

    def stage(self, name: str, *, field: str = "stage") -> LifecycleStage:
        """The stage called *name*; an unknown name is refused, listing the known ones."""
        return lookup_stage(self._by_name, name, field, f"lifecycle {self.name!r}")

    def allowed_from(self, name: str | None) -> tuple[str, ...]:
        """The stages a party in *name* may move to (``None``: its first move), in stage order."""
        targets = self.entry if name is None else self.transitions.get(name, frozenset())
        return tuple(n for n in self.names if n in targets)

    def is_backward(self, current: str, to: str) -> bool:
        """Whether *to* is earlier than *current* on the main line."""
        a, b = self.stage(current).rank, self.stage(to).rank
        return a is not None and b is not None and b < a

    def check_move(
        self,
        current: str | None,
        to: str,
        *,
        override: bool = False,
        reason_code: str | None = None,
        note: str = "",
    ) -> LifecycleStage:
        """Refuse a move the lifecycle does not allow; return the target stage.

        Declared moves pass. A backward move along the main line that is not
        declared passes only with *override* and a reason (code or note).
        Entering an ended stage needs a *reason_code*.

        Raises:
            InvalidTransitionError: Not allowed; names the allowed moves.
            ValidationError: Unknown stage, or a reason missing.
        """
        target = self.stage(to, field="to")
        allowed = self.allowed_from(current)
        if to not in allowed:
            backward = current is not None and current != to and self.is_backward(current, to)
            if not (override and backward):
                error = InvalidTransitionError("lifecycle", current or "(none)", to, allowed)
                if backward:
                    error.add_note("a backward move needs override=True and a reason")
                raise error
            if not (reason_code or note.strip()):
                raise ValidationError(
                    "reason_code", reason_code, "a backward move needs a reason code or a note"
                )
        if target.kind is StageKind.ENDED and not (reason_code and reason_code.strip()):
            raise ValidationError(
                "reason_code",
                reason_code,
                f"moving to {to!r} ends the relationship; give a reason code such as 'no-budget'",
            )
        return target

    # -- loading --------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Lifecycle:
        """Load and validate a lifecycle from a dict or a parsed TOML document.

        ``stages`` lists names in order (active ones) or tables
        ``{name = "lost", kind = "ended"}``. ``transitions`` maps a stage to
        the stages it may move to; without it every active stage may move
        forward to any later one or to any ended stage, ended stages to the
        recycled ones, recycled ones to any active stage. ``entry`` (default:
        the first stage) lists where a party may start.

        Raises:
            ValidationError: Naming the duplicate, unknown or unreachable stage.
        """
        data = require_mapping("lifecycle", data)
        name = require_text("name", data.get("name", "custom"))
        stages = _load_stages(data.get("stages"))
        names = [s.name for s in stages]
        if "transitions" in data:
            table = require_mapping("transitions", data["transitions"])
            transitions = {
                require_text("transitions", k): [
                    require_text(f"transitions.{k}", t)
                    for t in require_sequence(f"transitions.{k}", v)
                ]
                for k, v in table.items()
            }
        else:
            transitions = _forward(stages)
        entry_raw = data.get("entry", names[:1])
        entry = [require_text("entry", e) for e in require_sequence("entry", entry_raw)]
        return cls(name=name, stages=stages, transitions=transitions, entry=entry)


def _load_stages(raw: object) -> tuple[LifecycleStage, ...]:
    items = require_sequence("stages", raw)
    loaded: list[tuple[str, StageKind]] = []
    for i, item in enumerate(items):
        field = f"stages[{i}]"
        if isinstance(item, str):
            loaded.append((require_text(field, item), StageKind.ACTIVE))
        else:
            table = require_mapping(field, item)
            kind = to_enum(StageKind, f"{field}.kind", table.get("kind", "active"))
            loaded.append((require_text(f"{field}.name", table.get("name")), kind))
    active = [n for n, k in loaded if k is StageKind.ACTIVE]
    rank = {n: i for i, n in enumerate(active)}
    # Main line first, in order; outcomes after, in the order given.
    ordered = [(n, k) for n, k in loaded if k is StageKind.ACTIVE] + [
        (n, k) for n, k in loaded if k is not StageKind.ACTIVE
    ]
    return tuple(LifecycleStage(n, k, rank.get(n)) for n, k in ordered)


def _forward(stages: Iterable[LifecycleStage]) -> dict[str, list[str]]:
    stages = tuple(stages)
    active = [s.name for s in stages if s.kind is StageKind.ACTIVE]
    ended = [s.name for s in stages if s.kind is StageKind.ENDED]
    recycled = [s.name for s in stages if s.kind is StageKind.RECYCLED]
    table: dict[str, list[str]] = {}
    for i, name in enumerate(active):
        table[name] = active[i + 1 :] + ended
    for name in ended:
        table[name] = list(recycled)
    for name in recycled:
        table[name] = list(active)
    return table


def _validate(lifecycle: Lifecycle) -> None:
    seen = _check_names(lifecycle)
    _check_transitions(lifecycle, seen)
    _check_reachable(lifecycle)


def _check_names(lifecycle: Lifecycle) -> set[str]:
    seen: set[str] = set()
    for i, stage in enumerate(lifecycle.stages):
        require_text(f"stages[{i}].name", stage.name)
        if stage.name in seen:
            raise ValidationError(
                "stages", stage.name, "duplicate stage name; name each stage once"
            )
        seen.add(stage.name)
    if not any(s.kind is StageKind.ACTIVE for s in lifecycle.stages):
        raise ValidationError("stages", lifecycle.names, "needs at least one active stage")
    return seen


def _check_transitions(lifecycle: Lifecycle, seen: set[str]) -> None:
    for source, targets in lifecycle.transitions.items():
        if source not in seen:
            raise ValidationError("transitions", source, "unknown stage; declare it in stages")
        for target in sorted(targets):
            if target not in seen:
                raise ValidationError(
                    f"transitions.{source}", target, "unknown stage; declare it in stages"
                )
            if target == source:
                raise ValidationError(
                    f"transitions.{source}", target, "a stage cannot move to itself"
                )
    if not lifecycle.entry:
        raise ValidationError("entry", [], "name at least one stage a party may start in")
    for name in sorted(lifecycle.entry):
        if name not in seen:
            raise ValidationError("entry", name, "unknown stage; declare it in stages")


def _check_reachable(lifecycle: Lifecycle) -> None:
    reached = set(lifecycle.entry)
    frontier = list(reached)
    while frontier:
        for target in lifecycle.transitions.get(frontier.pop(), frozenset()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for name in lifecycle.names:
        if name not in reached:
            raise ValidationError(
                "stages", name, "unreachable: no transition leads to it from an entry stage"
            )


_ACTIVE = (
    "subscriber",
    "lead",
    "marketing-qualified",
    "sales-qualified",
    "opportunity",
    "customer",
    "client",
    "advocate",
)


def _default_transitions() -> dict[str, list[str]]:
    table = {name: list(_ACTIVE[i + 1 :]) for i, name in enumerate(_ACTIVE)}
    for name in ("subscriber", "lead", "marketing-qualified", "sales-qualified"):
        table[name].append("disqualified")
    for name in ("marketing-qualified", "sales-qualified", "opportunity"):
        table[name].append("lost")
    for name in ("customer", "client", "advocate"):
        table[name].append("churned")
    # A client (or a client-advocate) lapsing to a plain customer is normal, not a correction.
    table["client"].append("customer")
    table["advocate"].append("customer")
    for name in ("lost", "disqualified", "churned"):
        table[name] = ["recycled"]
    table["recycled"] = list(_ACTIVE)
    return table


#: The lifecycle that ships: HubSpot's main line with client and advocate after
#: customer, three ended outcomes and reactivation through ``recycled``. A party
#: may enter at any active stage (an import, or a first purchase).
DEFAULT_LIFECYCLE = Lifecycle.from_mapping(
    {
        "name": "default",
        "stages": [
            *_ACTIVE,
            {"name": "lost", "kind": "ended"},
            {"name": "disqualified", "kind": "ended"},
            {"name": "churned", "kind": "ended"},
            {"name": "recycled", "kind": "recycled"},
        ],
        "transitions": _default_transitions(),
        "entry": list(_ACTIVE),
    }
)
