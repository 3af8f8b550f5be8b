"""One way to look up a named contribution: storage scheme, kind, event type, job queue...

Plugins contribute named things; two plugins contributing one name is an error
naming both, and asking for a name nobody contributes is an error listing the
known names. Every sort of contribution goes through `Named`, so the messages
(and the lazy, per-name conflict check) are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

import attrs

from relationship_core._domain.validators import check_text, items
from relationship_core.exceptions import (
    DuplicateContributionError,
    PluginError,
    UnknownContributionError,
    ValidationError,
)

__all__ = ["Contribution", "Named"]

T = TypeVar("T")


@attrs.frozen
class Contribution(Generic[T]):
    """One named thing one plugin contributes.

    Attributes:
        plugin: The contributing plugin's name.
        name: The name it is looked up by.
        value: What was contributed.
    """

    plugin: str
    name: str
    value: T


def _duplicate(what: str, name: str, first: str, second: str) -> PluginError:
    return DuplicateContributionError(what, name, first, second)


def _unknown(what: str, name: str, known: Sequence[str]) -> PluginError:
    return UnknownContributionError(what, name, known)


def _same(a: object, b: object) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # a value whose == fails is not the same one
        return False


class Named(Generic[T]):
    """Contributions of one sort, by name.

    A name two plugins contribute is only an error when it is looked up (or
    everything is listed), so one conflicting plugin does not break the
    names nobody disputes.

    Examples:
        >>> kinds = Named("kind", [Contribution("core", "party", 1), Contribution("x", "party", 2)])
        >>> try:
        ...     kinds.get("nope")
        ... except UnknownContributionError as err:
        ...     err.available
        ('party',)
        >>> try:
        ...     kinds.get("party")
        ... except DuplicateContributionError as err:
        ...     err.plugins
        ('core', 'x')

    Args:
        what: What the names name, for messages (``"kind"``, ``"job queue"``).
        contributions: In plugin order; the first is reported first.
        duplicate: Builds the error for a name two plugins contribute.
        unknown: Builds the error for a name nobody contributes.
        notes: Added to an unknown-name error (e.g. the plugins that failed to load).
    """

    def __init__(
        self,
        what: str,
        contributions: Iterable[Contribution[T]],
        *,
        duplicate: Callable[[str, str, str, str], PluginError] = _duplicate,
        unknown: Callable[[str, str, Sequence[str]], PluginError] = _unknown,
        notes: Iterable[str] = (),
    ) -> None:
        self.what = check_text("what", what)
        self._by_name: dict[str, list[Contribution[T]]] = {}
        for n, item in enumerate(items("contributions", contributions)):
            if not isinstance(item, Contribution):
                raise ValidationError(f"contributions[{n}]", item, "expected a Contribution")
            same = self._by_name.setdefault(item.name, [])
            # The same value offered twice by one plugin is one contribution; two
            # different values under one name are a dispute, even within a plugin
            # (it used to drop the second silently).
            if not any(c.plugin == item.plugin and _same(c.value, item.value) for c in same):
                same.append(item)
        self._duplicate = duplicate
        self._unknown = unknown
        self._notes = tuple(check_text("notes", n) for n in items("notes", notes))

    def _one(self, name: str, found: list[Contribution[T]]) -> Contribution[T]:
        plugins = list(dict.fromkeys(c.plugin for c in found))
        if len(found) > 1:
            first, second = (plugins + plugins)[:2]
            raise self._duplicate(self.what, name, first, second)
        return found[0]

    def contribution(self, name: str) -> Contribution[T]:
        """The contribution named *name*, with the plugin it came from."""
        found = self._by_name.get(name)
        if not found:
            error = self._unknown(self.what, name, self.names())
            for note in self._notes:
                error.add_note(note)
            raise error
        return self._one(name, found)

    def get(self, name: str) -> T:
        """The value named *name*.

        Raises:
            UnknownContributionError: Nobody contributes it (the message lists the known names).
            DuplicateContributionError: Two plugins do (the message names both).
        """
        return self.contribution(name).value

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        """Every contributed name, sorted."""
        return sorted(self._by_name)

    def contributions(self) -> list[Contribution[T]]:
        """Every contribution, in plugin order (raises on the first disputed name)."""
        return [self._one(name, found) for name, found in self._by_name.items()]

    def values(self) -> list[T]:
        """Every contributed value, in plugin order (raises on the first disputed name)."""
        return [c.value for c in self.contributions()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._by_name)
