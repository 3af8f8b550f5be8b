"""`import_csv`: a CSV export into an open store, in two passes, resumable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from relationship_core._app.repository import require_store
from relationship_core._import.errors import ImportRejectedError, ImportStoppedError, RowProblem
from relationship_core._import.mapping import KINDS, PRESETS, ImportMapping, load_mapping
from relationship_core._import.rows import Draft, PartyDraft, RowParser
from relationship_core._import.source import CsvSource, read_source
from relationship_core._import.writer import BatchWriter
from relationship_core._storage.protocols import require_job_control
from relationship_core.exceptions import RelationshipCoreError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM

__all__ = ["ImportReport", "Progress", "import_csv"]


class Progress(Protocol):
    """A callback told how far an import is: any function of these three arguments will do."""

    def __call__(self, phase: str, done: int, total: int) -> None:
        """*phase* is ``"checking"`` or ``"writing"``; *done* of *total* rows so far."""


@attrs.frozen
class ImportReport:
    """What an import did.

    Attributes:
        source: The file.
        kind: What was imported.
        rows: Data rows in the file.
        created: Records added.
        updated: Stored records changed by a row.
        unchanged: Rows whose record was stored already as the row has it.
        skipped: Invalid rows left out (``skip_invalid``), with their problems.
        resumed_from: Rows an earlier, interrupted run had stored (0: a fresh start).
        organisations_created: Organisations contacts named that were not stored yet.
    """

    source: str
    kind: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: tuple[RowProblem, ...] = ()
    resumed_from: int = 0
    organisations_created: int = 0

    def __str__(self) -> str:
        parts = [
            f"{self.rows} row(s) of {self.kind} from {self.source}: {self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.organisations_created:
            parts.append(f"{self.organisations_created} organisation(s) created")
        if self.skipped:
            parts.append(f"{len({p.line for p in self.skipped})} invalid row(s) skipped")
        if self.resumed_from:
            parts.append(f"resumed after {self.resumed_from} row(s) stored before")
        return ", ".join(parts)


def _mapping(
    kind: str, mapping: ImportMapping | Mapping[str, Any] | str | Path | None, preset: str | None
) -> ImportMapping:
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationError("kind", kind, f"one of {', '.join(KINDS)}")
    if preset is not None and not isinstance(preset, str):
        raise ValidationError("preset", preset, f"one of {', '.join(sorted(PRESETS))}")
    if mapping is not None and preset is not None:
        raise ValidationError("preset", preset, "give a preset or a mapping, not both")
    if preset is not None:
        if preset not in PRESETS:
            raise ValidationError("preset", preset, f"one of {', '.join(sorted(PRESETS))}")
        chosen = PRESETS[preset]
        if chosen.kind != kind:
            raise ValidationError("kind", kind, f"the {preset} preset imports {chosen.kind}")
        return chosen
    if mapping is None:
        return ImportMapping(kind=kind)
    if isinstance(mapping, ImportMapping):
        if mapping.kind != kind:
            raise ValidationError("kind", kind, f"the mapping imports {mapping.kind}")
        return mapping
    return load_mapping(mapping, kind=kind)


#: Files of up to this many rows keep the first pass's drafts for the second (about
#: 1.6 kB a row); longer ones are parsed again, so memory stays flat.
KEEP_DRAFTS = 10_000


def _check(
    source: CsvSource, parser: RowParser, progress: Progress | None
) -> tuple[int, list[RowProblem], dict[int, Draft] | None]:
    """The first pass: every row parsed; bad cells and duplicates in the file collected."""
    problems: list[RowProblem] = []
    missing = parser.missing()
    if missing:
        header = ", ".join(source.header)
        raise ValidationError(
            "header", header, f"no column for {'; '.join(missing)} (map one in a mapping file)"
        )
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    rows = 0
    kept: dict[int, Draft] | None = {}
    for line, cells in source.rows():
        rows += 1
        draft, bad = parser.check(line, cells)
        if draft is None:
            problems.extend(bad)
        else:
            if kept is not None:
                kept[line] = draft
                if len(kept) > KEEP_DRAFTS:
                    kept = None
            rid = draft.party.id if isinstance(draft, PartyDraft) else draft.id
            first = ids.setdefault(rid, line)
            if first != line:
                column = parser.column("source_id")
                problems.append(RowProblem(line, column, rid, f"the same record as line {first}"))
            if isinstance(draft, PartyDraft):
                for email in draft.party.emails:
                    seen = emails.setdefault(email.value.casefold(), line)
                    if seen != line:
                        problems.append(
                            RowProblem(
                                line, parser.column("email"), email.value,
                                f"the same address as line {seen}",
                            )
                        )  # fmt: skip
        if progress is not None and rows % 1000 == 0:
            progress("checking", rows, 0)
    return rows, problems, kept


def _check_arguments(
    batch_size: object, skip_invalid: object, restart: object, progress: object
) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise ValidationError("batch_size", batch_size, "an int from 1 to 10000")
    if not 1 <= batch_size <= 10_000:
        raise ValidationError("batch_size", batch_size, "an int from 1 to 10000")
    for name, flag in (("skip_invalid", skip_invalid), ("restart", restart)):
        if not isinstance(flag, bool):
            raise ValidationError(name, flag, "True or False")
    if progress is not None and not callable(progress):
        raise ValidationError("progress", progress, "a callable progress(phase, done, total)")


def import_csv(
    crm: CRM,
    path: str | Path,
    kind: str,
    *,
    preset: str | None = None,
    mapping: ImportMapping | Mapping[str, Any] | str | Path | None = None,
    batch_size: int = 500,
    skip_invalid: bool = False,
    restart: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the CSV file at *path* into the open store *crm*.

    First every row is checked (types, the mapping, duplicates inside the
    file); if any is bad, `ImportRejectedError` lists them all (line, column,
    value) and nothing is stored, unless *skip_invalid* leaves them out. Then
    the rows are written in batches of *batch_size*, each one unit of work
    with the progress marker; a run after an interruption resumes after the
    last stored batch (*restart* starts from the first row again, which
    changes nothing already stored as the file has it). An error only the
    store reveals (a party an order names is missing) raises
    `ImportStoppedError` with the line to resume from.

    Args:
        crm: The open store (``relationship_core.open(url)``).
        path: The CSV file.
        kind: ``"parties"``, ``"contacts"``, ``"orders"`` or ``"interactions"``.
        preset: A vendor's export (``"hubspot-contacts"``, ``"hubspot-companies"``,
            ``"clickup-list"``).
        mapping: An `ImportMapping`, a dict, or a TOML file of one.
        batch_size: Rows per unit of work (1 to 10,000).
        skip_invalid: Store the valid rows, leave the bad ones out.
        restart: Ignore the progress marker of an earlier run of this file.
        encoding: The file's encoding (default: detected).
        delimiter: The field delimiter (default: sniffed).
        progress: Called as ``progress(phase, done, total)`` while it runs.
    """
    require_store("crm", crm)
    chosen = _mapping(kind, mapping, preset)
    _check_arguments(batch_size, skip_invalid, restart, progress)
    require_job_control(crm.backend)  # the progress marker is a stored position
    source = read_source(path, encoding=encoding, delimiter=delimiter)
    parser = RowParser(chosen, source.header, source.digest)
    total, problems, kept = _check(source, parser, progress)
    if problems and not skip_invalid:
        raise ImportRejectedError(source.name, problems)
    bad = {p.line for p in problems}
    marker = f"import:{kind}:{source.digest[:40]}"
    today = crm.clock.now().astimezone(parser.zone).date()
    writer = BatchWriter(crm, kind, chosen.source, today, marker)
    stored = writer.position()
    if restart and stored:
        with crm.unit_of_work() as uow:
            uow._within_commit(lambda tx: tx.save_position(marker, 0))
        stored = 0
    done = marked = 0
    batch: list[Draft] = []
    first_line = 0
    for line, cells in source.rows():
        done += 1
        if done <= stored:
            marked = done
            continue
        if done - marked == 1:
            first_line = line
        if line not in bad:
            batch.append(kept[line] if kept is not None else parser.parse(line, cells))
        if done - marked >= batch_size or done == total:
            try:
                writer.write(batch, marked, done)
            except RelationshipCoreError as error:
                raise ImportStoppedError(source.name, first_line, marked, error) from error
            marked, batch = done, []
            if progress is not None:
                progress("writing", done, total)
    counts = writer.counts
    return ImportReport(
        source.name,
        kind,
        total,
        counts.created,
        counts.updated,
        counts.unchanged,
        tuple(problems),
        stored,
        counts.organisations_created,
    )
