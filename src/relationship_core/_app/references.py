"""The references kinds declare, checked before a unit of work writes.

An engagement's party must exist: in the store, or in the same unit of work,
and not deleted there. One read per referenced kind, outside the write
transaction (concurrency stays optimistic).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from relationship_core._app.scan import Tracked
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["check_references"]


def check_references(uow: UnitOfWork, entries: Sequence[Tracked]) -> None:
    """Refuse objects referencing ids that exist neither here nor in the store."""
    wanted: dict[str, dict[str, tuple[str, str]]] = {}
    for entry in entries:
        for field, ref in entry.mapping.references_of(entry.obj).items():
            target = entry.mapping.references[field]
            held = uow._entries.get((target, ref))
            if held is not None and held.deleted:
                raise ValidationError(
                    f"{entry.mapping.kind}.{field}",
                    ref,
                    f"refers to a {target} deleted in this unit of work",
                )
            if held is None:
                wanted.setdefault(target, {}).setdefault(ref, (entry.mapping.kind, field))
    for target, refs in wanted.items():
        if target not in uow._crm.registry:
            kind, field = next(iter(refs.values()))
            raise ValidationError(
                f"{kind}.references", target, "no such kind in this store; fix the mapping"
            )
        found = uow._crm.backend.get_many(target, list(refs))
        for ref, (kind, field) in refs.items():
            if ref not in found:
                raise ValidationError(
                    f"{kind}.{field}",
                    ref,
                    f"no {target} with this id; save the {target} first "
                    "(before, or in the same unit of work)",
                )
