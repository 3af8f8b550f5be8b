"""The references kinds declare, checked before a unit of work writes.

An engagement's party must exist: in the store, or in the same unit of work,
and not deleted there. One read per referenced kind, outside the write
transaction (concurrency stays optimistic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from relationship_core._app.scan import Tracked
from relationship_core._app.session import Session
from relationship_core.exceptions import ValidationError

__all__ = ["check_references"]


def check_references(
    crm: Session, entries: Sequence[Tracked], held_here: Mapping[tuple[str, str], Tracked]
) -> None:
    """Refuse *entries* referencing ids neither *held_here* (by kind and id) nor stored."""
    wanted: dict[str, dict[str, tuple[str, str]]] = {}
    for entry in entries:
        for field, ref in entry.mapping.references_of(entry.obj).items():
            target = entry.mapping.references[field]
            held = held_here.get((target, ref))
            if held is not None and held.deleted:
                raise ValidationError(
                    f"{entry.mapping.kind}.{field}",
                    ref,
                    f"refers to a {target} deleted in this unit of work",
                )
            if held is None:
                wanted.setdefault(target, {}).setdefault(ref, (entry.mapping.kind, field))
    for target, refs in wanted.items():
        if target not in crm.registry:
            kind, field = next(iter(refs.values()))
            raise ValidationError(
                f"{kind}.references", target, "no such kind in this store; fix the mapping"
            )
        found = crm.backend.get_many(target, list(refs))
        for ref, (kind, field) in refs.items():
            if ref not in found:
                raise ValidationError(
                    f"{kind}.{field}",
                    ref,
                    f"no {target} with this id; save the {target} first "
                    "(before, or in the same unit of work)",
                )
