"""SQLite backups through the online backup API: `backup_sqlite` (``relationship-core backup``)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from relationship_core._storage.url import parse_url
from relationship_core.exceptions import BackendRefusedError, StorageError, ValidationError

__all__ = ["PG_BACKUP_HINT", "backup_sqlite"]

#: What to use instead for a PostgreSQL store.
PG_BACKUP_HINT = (
    "backup copies SQLite stores; for PostgreSQL use pg_dump "
    "(e.g. pg_dump --format=custom --schema=SCHEMA --file=crm.dump DBNAME)"
)


def _sqlite_path(url: str) -> Path:
    if not isinstance(url, str):
        raise ValidationError("url", url, "expected an sqlite:/// URL")
    parsed = parse_url(url)
    if parsed.scheme != "sqlite":
        raise ValidationError("url", parsed.redacted, PG_BACKUP_HINT)
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

    The copy is one consistent snapshot even while other connections write: the
    source is read in one step under one read transaction, which WAL lets writers
    run beside (a step-by-step backup would start over at every write and might
    never finish under a steady writer). It is written to a temporary file next
    to *file*, checked with ``PRAGMA integrity_check`` and only then renamed into
    place, so a failed backup never leaves a half-written file. The backup is a
    single file (rollback journal, not WAL) that opens as a store. Returns its
    size in bytes.

    Raises:
        ValidationError: *url* is not an SQLite store file, or *file* exists and
            *force* is not set, or *file*'s folder is missing.
        StorageError: SQLite failed to read the store or to write the copy.
    """
    source_path = _sqlite_path(url)
    if not isinstance(file, str | os.PathLike) or not str(file):
        raise ValidationError("file", file, "expected a path for the backup file")
    if not isinstance(force, bool):
        raise ValidationError("force", force, "expected True or False")
    target = Path(file)
    if target.exists() and not force:
        raise ValidationError("file", str(target), "exists; pass --force to overwrite it")
    if target.exists() and target.resolve() == source_path.resolve():
        raise ValidationError("file", str(target), "is the store itself")
    if not target.parent.is_dir():
        raise ValidationError("file", str(target), "its folder does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with contextlib.closing(sqlite3.connect(source_path, timeout=30)) as source:
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # pages=-1: the whole database in one step
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackendRefusedError(f"the backup failed its integrity check: {check}")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite: the backup of {source_path} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size
