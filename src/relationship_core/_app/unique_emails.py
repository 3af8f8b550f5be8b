"""The unique e-mail key of parties: opt-in, and enabled on an existing store without surprises.

With ``open(url, config={"core": {"unique_emails": True}})`` the party kind
declares the unique key ``email`` and every write of a party claims each of
its addresses (trimmed, case-folded, `normalise_key`): a second party
claiming one fails with `UniqueKeyConflictError` naming the key, the address
and the party holding it, decided by the database even when two processes
race (the ``rc_unique`` side table, ``_storage/sqlunique.py``).

It is off by default: stores made before it may hold two parties with one
address, and a backend without the ``unique_keys`` capability could not open
the default kinds any more. `enable_unique_emails` turns it on for a store:
it lists the addresses held by more than one party and changes nothing while
there are any (`EmailKeyReport.duplicates`), else it rewrites every party
once, so each claims its addresses. ``relationship-core migrate URL
--unique-emails`` runs it. Every process writing the store must then open it
with the setting: a write made without it does not claim, and releases the
claims of the party it rewrites.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from relationship_core._app.kinds import PARTIES
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.parties import Party
from relationship_core._storage.contract import Query
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.unique import normalise_key
from relationship_core.exceptions import ValidationError

__all__ = [
    "PARTIES_UNIQUE_EMAIL",
    "EmailKeyReport",
    "duplicate_emails",
    "enable_unique_emails",
    "unique_emails_wanted",
    "with_unique_emails",
]

#: The setting of the ``core`` feature that turns the key on.
SETTING = "unique_emails"


def _addresses(party: Party) -> list[str]:
    return [e.value for e in party.emails]


#: The party mapping with the unique key ``email`` over every address of a party.
PARTIES_UNIQUE_EMAIL: KindMapping[Party] = attrs.evolve(PARTIES, unique={"email": _addresses})


def unique_emails_wanted(config: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether ``config["core"]["unique_emails"]`` asks for the key (a bool, default off)."""
    wanted = config.get("core", {}).get(SETTING, False)
    if not isinstance(wanted, bool):
        raise ValidationError(f"config['core'][{SETTING!r}]", wanted, "expected True or False")
    return wanted


def with_unique_emails(registry: MappingRegistry) -> MappingRegistry:
    """*registry* with the party kind replaced by `PARTIES_UNIQUE_EMAIL` (if it maps parties)."""
    if "party" not in registry or registry.get("party") is not PARTIES:
        return registry  # an application's own party mapping: its unique keys are its own
    return MappingRegistry(PARTIES_UNIQUE_EMAIL if m is PARTIES else m for m in registry)


@attrs.frozen
class EmailKeyReport:
    """What `enable_unique_emails` found and did.

    Attributes:
        duplicates: ``{address: (party ids, ...)}`` for every normalised
            address more than one party holds; while any is listed, nothing
            was changed.
        claimed: Parties whose addresses were claimed (0 with duplicates).
    """

    duplicates: dict[str, tuple[str, ...]]
    claimed: int

    @property
    def enabled(self) -> bool:
        """True when every party's addresses are now claimed."""
        return not self.duplicates

    def summary(self) -> str:
        """A human-readable account, one line per duplicate address."""
        if self.enabled:
            return f"unique e-mail key: the addresses of {self.claimed} parties claimed"
        head = (
            f"unique e-mail key NOT enabled: {len(self.duplicates)} address(es) are held by "
            "more than one party; merge or change them, then run this again:"
        )
        lines = [head]
        lines += [f"  {a}: {', '.join(ids)}" for a, ids in sorted(self.duplicates.items())]
        return "\n".join(lines)


def _parties(backend: StorageBackend) -> Any:
    after = None
    while True:
        page = backend.query(Query("party", limit=500, after=after))
        yield page.records
        if page.next_cursor is None:
            return
        after = page.next_cursor


def duplicate_emails(backend: StorageBackend) -> dict[str, tuple[str, ...]]:
    """Every normalised address that more than one stored party holds, with their ids.

    Reads each party once, in pages (any backend); the addresses come from
    the indexed ``emails`` field, or from the document if it is not filled yet.
    """
    if not callable(getattr(backend, "query", None)):
        raise ValidationError(
            "backend", type(backend).__name__, "expected an open store (crm.backend)"
        )
    holders: dict[str, set[str]] = {}
    for records in _parties(backend):
        for record in records:
            values = record.indexed.get("emails")
            if not isinstance(values, list):  # a store not migrated to the emails field yet
                values = [str(e) for e in record.data.get("emails", ())]
            for value in values:
                holders.setdefault(normalise_key(value), set()).add(record.id)
    return {a: tuple(sorted(ids)) for a, ids in sorted(holders.items()) if len(ids) > 1}


def enable_unique_emails(crm: Any) -> EmailKeyReport:
    """Claim every party's addresses in *crm* (opened with ``unique_emails``), or list duplicates.

    Raises:
        ValidationError: *crm* was not opened with the setting.
        UniqueKeyConflictError: another process wrote a duplicate address
            while this ran (the parties claimed so far keep their claims,
            which are correct; run it again after fixing the duplicate).
    """
    if not hasattr(crm, "registry") or not hasattr(crm, "backend"):
        raise ValidationError(
            "crm", type(crm).__name__, "expected a CRM from relationship_core.open"
        )
    mapping = crm.registry.get("party")
    if "email" not in mapping.unique:
        raise ValidationError(
            "config", None, "open the store with config={'core': {'unique_emails': True}}"
        )
    backend: StorageBackend = crm.backend
    duplicates = duplicate_emails(backend)
    if duplicates:
        return EmailKeyReport(duplicates, 0)
    claimed = 0
    for records in _parties(backend):
        writes = [mapping.to_write(mapping.from_record(r), r.version) for r in records]
        if writes:
            with backend.transaction() as tx:
                tx.put_many(writes)
        claimed += len(writes)
    return EmailKeyReport({}, claimed)
