"""Similar names among one organisation's contacts: a cheap, documented comparison.

Names are normalised first (`normalise_name`: accents, case and punctuation
aside, whitespace collapsed). Two contacts of one organisation are candidates
when their normalised names hold the same words in any order ("Lovelace,
Ada" and "Ada Lovelace"), or when `difflib.SequenceMatcher` finds them at
least `NAME_SIMILARITY` alike ("Ada Lovelace" and "Ada Lovelance"). The
comparison is pairwise within each organisation only: quadratic in its
contacts, which number tens, not the store's parties.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher

__all__ = ["NAME_SIMILARITY", "normalise_name", "similar_groups", "similar_names"]

#: The least `difflib.SequenceMatcher` ratio of two normalised names deemed alike.
NAME_SIMILARITY = 0.9
_NOT_WORD = re.compile(r"[^\w]+")


def normalise_name(name: str) -> str:
    """*name* without accents, case or punctuation, its words single-spaced.

    Examples:
        >>> normalise_name("  Zoë  O'Brien-Smith ")
        'zoe o brien smith'
    """
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


def similar_names(a: str, b: str, threshold: float = NAME_SIMILARITY) -> bool:
    """Whether two *normalised* names are alike: the same words, or a ratio of at least *threshold*."""
    if not a or not b:
        return False
    if a == b or sorted(a.split()) == sorted(b.split()):
        return True
    first, second = sorted((a, b))  # the ratio depends on the order; make it not
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    return (
        matcher.real_quick_ratio() >= threshold
        and matcher.quick_ratio() >= threshold
        and matcher.ratio() >= threshold
    )


def _root(parent: dict[str, str], p: str) -> str:
    """The representative of *p*'s group (union-find, paths halved)."""
    while parent[p] != p:
        parent[p] = parent[parent[p]]
        p = parent[p]
    return p


def similar_groups(
    organisations: Mapping[str, Iterable[str]],
    names: Mapping[str, str],
    threshold: float = NAME_SIMILARITY,
) -> dict[str, tuple[str, ...]]:
    """Per organisation, the contacts whose names are alike (linked pairs joined into groups).

    Args:
        organisations: Organisation id -> the ids of its contacts.
        names: Party id -> its normalised name.
        threshold: See `similar_names`.

    Returns:
        ``name:<organisation id>:<first member's normalised name>`` -> the
        members' ids, sorted; only groups of two or more.
    """
    out: dict[str, tuple[str, ...]] = {}
    for org_id, members in sorted(organisations.items()):
        people = sorted({p for p in members if names.get(p)})
        parent = {p: p for p in people}
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                if similar_names(names[a], names[b], threshold):
                    parent[_root(parent, b)] = _root(parent, a)
        groups: dict[str, list[str]] = {}
        for p in people:
            groups.setdefault(_root(parent, p), []).append(p)
        for ids in groups.values():
            if len(ids) > 1:
                ids.sort()
                out[f"name:{org_id}:{names[ids[0]]}"] = tuple(ids)
    return out
