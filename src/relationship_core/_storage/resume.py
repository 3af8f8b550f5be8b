"""Resumable loads (capability ``resumable_load``): a dump written in batches, each with a marker.

A backend with the capability takes ``load(items, mark=LoadMark(source, done))``:
it writes the batch *items* and, in the same transaction (or atomic write),
replaces its load marker with *mark*; ``load_mark()`` returns the marker the
last batch left (``None`` when the store was never loaded so). Without a
*mark* ``load`` is the plain, all-or-nothing load of the ``dump`` capability.

A marked load is refused by a store that holds anything unless its marker
names the same *source* (`check_destination`). `load_in_batches` is the loop
`relationship_core._storage.dump.copy_any` runs: it skips the *done* items a
matching marker says are in already and loads the rest batch by batch, so a
copy that was killed continues where its last batch committed. The marker
stays after the last batch: a copy killed after that commit is run again,
loads nothing and only verifies.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from relationship_core.exceptions import StorageError, ValidationError

__all__ = ["LoadMark", "check_destination", "fingerprint", "load_in_batches"]


@attrs.frozen
class LoadMark:
    """The progress marker a resumable load keeps in its destination.

    Attributes:
        source: Fingerprint of what is being copied (`fingerprint`: counts and
            checksums of the source's dump), so a marker of another copy is refused.
        done: Items of the dump written so far, in dump order.
    """

    source: str
    done: int


def fingerprint(counts: Mapping[str, int], digests: Mapping[str, str]) -> str:
    """One sha256 over a dump's counts and checksums per table."""
    body = json.dumps([sorted(counts.items()), sorted(digests.items())])
    return hashlib.sha256(body.encode()).hexdigest()


def check_destination(empty: bool, held: LoadMark | None, mark: LoadMark | None) -> None:
    """Refuse a load into a store that holds something not of this copy.

    *empty*: the store has no records, events, jobs or positions; *held*: its
    marker; *mark*: the one the load would leave (``None``: a plain load).

    Raises:
        StorageError: the store is not empty and its marker (if any) is not *mark*'s source.
        ValidationError: an argument of the wrong type.
    """
    if not isinstance(empty, bool):
        raise ValidationError("empty", empty, "expected True or False")
    for field, value in (("held", held), ("mark", mark)):
        if value is not None and not isinstance(value, LoadMark):
            raise ValidationError(field, value, "expected a LoadMark or None")
    if mark is not None and held is not None:
        if held.source != mark.source:
            raise StorageError(
                "the destination store holds an interrupted copy of another source; "
                "load into a new, empty store"
            )
        return
    if not empty:
        raise StorageError("the destination store is not empty; load into a new, empty store")


def load_in_batches(
    destination: Any,
    items: Iterable[Any],
    source: str,
    *,
    total: int,
    batch: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> bool:
    """Load *items* (a dump, in dump order) into *destination* *batch* at a time, each marked.

    Returns True when an interrupted load of the same *source* was continued.
    """
    held = destination.load_mark()
    resumed = held is not None and held.source == source
    done = held.done if resumed else 0  # else the first load refuses (``check_destination``)
    rest = iter(items)
    for _skipped in itertools.islice(rest, done):
        pass
    loaded = False
    while chunk := list(itertools.islice(rest, batch)):
        done += len(chunk)
        destination.load(chunk, mark=LoadMark(source, done))
        loaded = True
        if progress is not None:
            progress("store", done, total)
    if not loaded:  # nothing (left) to load: still checked, and marked as done
        destination.load((), mark=LoadMark(source, done))
    return resumed
