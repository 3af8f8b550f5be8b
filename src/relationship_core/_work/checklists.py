"""Checklists on a task: items ticked and unticked by someone at some time, history kept."""

from __future__ import annotations

from datetime import datetime

import attrs

from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import aware, non_empty_text
from relationship_core.exceptions import ValidationError

__all__ = ["Checklist", "ChecklistItem", "Tick"]


@attrs.frozen(kw_only=True)
class Tick:
    """One change of an item: ticked (``done``) or unticked, by whom, when.

    Attributes:
        done: Whether the item was ticked (``False``: unticked).
        by: The actor's id.
        at: When (aware).
    """

    done: bool
    by: str = attrs.field(validator=non_empty_text)
    at: datetime = attrs.field(validator=aware)


@attrs.define(kw_only=True)
class ChecklistItem:
    """One line of a checklist. Whether it is done is its last tick; history only grows.

    Attributes:
        id: The item's id within its task.
        text: What to do.
        history: Every tick and untick, oldest first (append-only).
    """

    text: str = attrs.field(validator=non_empty_text)
    id: str = attrs.field(factory=new_id, validator=non_empty_text)
    history: list[Tick] = attrs.field(factory=list)

    @property
    def done(self) -> bool:
        """Ticked now (the last change was a tick)."""
        return bool(self.history) and self.history[-1].done

    def set_done(self, done: bool, by: str, at: datetime) -> bool:
        """Tick (or untick) it; ``False`` when it already was so (nothing recorded)."""
        require_aware("at", at)
        if self.history and at < self.history[-1].at:
            raise ValidationError(
                "at", at, f"before the item's last change at {self.history[-1].at}"
            )
        if self.done == done:
            return False
        self.history.append(Tick(done=done, by=by, at=at))
        return True


@attrs.define(kw_only=True)
class Checklist:
    """A named list of items on a task.

    Attributes:
        name: What the list is for (``"Before shipping"``).
        id: The list's id within its task.
        items: Its items in order.
    """

    name: str = attrs.field(validator=non_empty_text)
    id: str = attrs.field(factory=new_id, validator=non_empty_text)
    items: list[ChecklistItem] = attrs.field(factory=list)

    def add(self, text: str, *, id: str | None = None) -> ChecklistItem:
        """Append an item (ids unique within the list)."""
        item = ChecklistItem(text=text) if id is None else ChecklistItem(text=text, id=id)
        if any(i.id == item.id for i in self.items):
            raise ValidationError("item.id", item.id, "an item with this id is already on the list")
        self.items.append(item)
        return item

    def item(self, item_id: str) -> ChecklistItem:
        """The item *item_id*; `ValidationError` naming the known ids otherwise."""
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items) or "none"
        raise ValidationError("item_id", item_id, f"no such item on {self.name!r}; known: {known}")

    @property
    def done_count(self) -> int:
        """How many items are ticked now."""
        return sum(item.done for item in self.items)
