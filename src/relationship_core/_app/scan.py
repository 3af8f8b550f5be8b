"""Which tracked aggregates a unit of work must look at for new events, and in what order.

A unit of work holds every aggregate it read or added. After the command,
every one may have recorded events, so the first look is at all of them.
After each handler only two sorts can have anything new: aggregates tracked
since the last look, and aggregates whose `Recorded` list gained an event or
a child while the handler ran (noted by `relationship_core._domain.events.noting`).
Looking at only those keeps a unit of work of N aggregates and N events
linear instead of quadratic (a billing batch of 500 retainers made ~1,000
events and held ~1,000 aggregates: a million visits per batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import EventRecorder, Recorded

__all__ = ["Scanner", "Tracked"]


class Tracked(Protocol):
    """A unit of work's entry: an object, its kind's mapping, whether it is deleted."""

    obj: Any
    mapping: KindMapping[Any]
    deleted: bool


class Scanner:
    """The tracked entries in tracking order, and what the next look must cover."""

    def __init__(self) -> None:
        self.reset(())

    def reset(self, entries: Iterable[Tracked]) -> None:
        """Start again from *entries* (after a commit dropped the deleted ones, or a rollback)."""
        self._order: list[Tracked] = []
        self._position: dict[int, int] = {}  # id(entry) -> its place in _order
        self._by_recorder: dict[int, Tracked] = {}  # id(obj's Recorded) -> entry
        self._loose: list[Tracked] = []  # recorders whose events are a plain list
        self._looked = 0  # entries before this index were covered by the last look
        for entry in entries:
            self.enter(entry)

    def enter(self, entry: Tracked) -> None:
        """Note a newly tracked entry (read or added)."""
        self._position[id(entry)] = len(self._order)
        self._order.append(entry)
        obj = entry.obj
        if isinstance(obj, EventRecorder):
            try:  # a plain list set by hand becomes a Recorded, which notes its appends
                events = obj._recorded()
            except AttributeError:  # no events field (yet): look at it every time
                self._loose.append(entry)
            else:
                self._by_recorder[id(events)] = entry

    def everything(self) -> list[Tracked]:
        """All entries: the first look after the command (their children adopted before)."""
        self._looked = len(self._order)
        return list(self._order)

    def since(self, touched: list[Recorded], adopt: Callable[[list[Any]], None]) -> list[Tracked]:
        """The entries a handler can have changed, in tracking order; clears *touched*.

        *adopt* tracks the new children of the objects it is given (they
        `enter` here and are covered by this look too).
        """
        picked: dict[int, Tracked] = {}
        for recorded in touched:
            entry = self._by_recorder.get(id(recorded))
            if entry is not None:
                picked[id(entry)] = entry
        touched.clear()
        for entry in (*self._loose, *self._order[self._looked :]):
            picked[id(entry)] = entry
        adopt([e.obj for e in picked.values()])
        for entry in self._order[self._looked :]:  # with the children just adopted
            picked[id(entry)] = entry
        self._looked = len(self._order)
        position = self._position
        return sorted(picked.values(), key=lambda e: position[id(e)])
