"""The ``backup`` command: a consistent copy of an SQLite store while it runs."""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from relationship_core.exceptions import BackendRefusedError, StorageError, ValidationError

__all__ = ["add_store_commands", "backup_sqlite"]

_PG_HINT = (
    "backup copies SQLite stores; for PostgreSQL use its own tools, e.g. "
    "`pg_dump --format=custom --file=crm.dump DBNAME` (or continuous archiving)"
)


def _sqlite_path(url: str) -> Path:
    from relationship_core._storage.url import parse_url

    parsed = parse_url(url)
    if parsed.scheme in ("postgresql", "postgres"):
        raise ValidationError("url", parsed.redacted, _PG_HINT)
    if parsed.scheme != "sqlite":
        raise ValidationError("url", parsed.redacted, f"expected a sqlite:/// URL; {_PG_HINT}")
    if parsed.netloc:
        raise ValidationError(
            "url", parsed.redacted, "put the path after three slashes: sqlite:///crm.db"
        )
    path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
    if not path or path == ":memory:":
        raise ValidationError("url", parsed.redacted, "give the store's database file")
    if not Path(path).is_file():
        raise ValidationError("url", parsed.redacted, f"no SQLite store at {path}")
    return Path(path)


def backup_sqlite(url: str, file: str | os.PathLike[str], *, force: bool = False) -> int:
    """Copy the SQLite store at *url* into *file* through SQLite's online backup API.

    The copy is one consistent snapshot even while other processes write (the
    source is read in one step, under a read transaction, which WAL lets writers
    run beside). It is made in a temporary file next to *file* and renamed into
    place only once checked with ``PRAGMA integrity_check``, so a failed backup
    never leaves a half-written file. Returns the size of the backup in bytes.

    Raises:
        ValidationError: *url* is not an SQLite store, or *file* exists and not *force*.
        StorageError: SQLite failed to read the store or write the copy.
    """
    source_path = _sqlite_path(url)
    target = Path(file)
    if target.exists() and not force:
        raise ValidationError("file", str(target), "exists; pass --force to overwrite it")
    if target.resolve() == source_path.resolve():
        raise ValidationError("file", str(target), "is the store itself")
    if not target.parent.is_dir():
        raise ValidationError("file", str(target), "its folder does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with contextlib.closing(sqlite3.connect(source_path, timeout=30)) as source:
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # pages=-1: the whole database in one step
                copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
                check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackendRefusedError(f"the backup failed its integrity check: {check}")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite: backup of {source_path} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _backup(args: argparse.Namespace) -> int:
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    try:
        size = backup_sqlite(args.url, args.file, force=args.force)
    except RelationshipCoreError as error:
        print(f"relationship-core backup: {redact(str(error))}", file=sys.stderr)
        return 2
    print(f"backed up {redact(args.url)} to {args.file} ({size:,} bytes, integrity ok)")
    return 0


def add_store_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backup`` (and the store's other housekeeping commands)."""
    backup = commands.add_parser(
        "backup",
        help="a consistent copy of an SQLite store into FILE, while it runs",
        description="Copy the SQLite store at URL into FILE through SQLite's online backup "
        "API: consistent while writers run, checked before it is renamed into place. "
        "For PostgreSQL use pg_dump.",
    )
    backup.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db")
    backup.add_argument("file", metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    backup.set_defaults(run=_backup)
