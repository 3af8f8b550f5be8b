"""The store commands: ``copy SRC_URL DST_URL`` and ``backup URL FILE``."""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_store_commands"]


def _bar(tty: bool) -> Any:
    seen: dict[str, int] = {}

    def show(name: str, done: int, total: int) -> None:
        if tty:
            width = 30
            filled = width if total == 0 else min(width, width * done // max(total, 1))
            bar = "#" * filled + "-" * (width - filled)
            sys.stdout.write(f"\r{name:<28} [{bar}] {done}/{total}")
            if done >= total:
                sys.stdout.write("\n")
            sys.stdout.flush()
        elif done >= total or done - seen.get(name, 0) >= 10_000:
            seen[name] = done
            sys.stdout.write(f"{name}: {done}/{total} rows\n")

    return show


def _copy(args: argparse.Namespace) -> int:
    import relationship_core._app.billing_kinds  # noqa: F401 - the billing kinds too
    from relationship_core._app.facade import open_store
    from relationship_core._storage.dump import copy_any
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    try:
        with open_store(args.source) as src, open_store(args.destination) as dst:
            report = copy_any(
                src.backend, dst.backend, batch=args.batch, progress=_bar(sys.stdout.isatty())
            )
    except RelationshipCoreError as error:
        sys.stderr.write(
            f"relationship-core copy: {redact(args.source)} -> {redact(args.destination)}: "
            f"{redact(str(error))}\n"
        )
        return 2
    rows = sum(report.tables.values())
    again = " (continued an interrupted copy)" if report.resumed else ""
    sys.stdout.write(
        f"Copied {rows} rows in {len(report.tables)} tables to {redact(args.destination)}"
        f"{again}; counts and checksums match.\n"
    )
    return 0


def _backup(args: argparse.Namespace) -> int:
    from relationship_core._storage.url import parse_url, redact
    from relationship_core.exceptions import RelationshipCoreError

    def fail(message: str) -> int:
        sys.stderr.write(f"relationship-core backup: {redact(args.url)}: {message}\n")
        return 2

    try:
        url = parse_url(args.url)
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core backup: {redact(str(error))}\n")
        return 2
    if url.scheme != "sqlite" or url.path in {"", "/", "/:memory:"}:
        return fail(
            "backup copies an SQLite store file; for PostgreSQL use pg_dump "
            "(pg_dump --format=custom --schema=SCHEMA DBNAME > FILE; restore with pg_restore)"
        )
    path = Path(url.path[1:] if url.path.startswith("/") else url.path)
    target = Path(args.file)
    if not path.is_file():
        return fail(f"no SQLite store at {path}")
    if target.exists() and not args.force:
        return fail(f"{target} exists; pass --force to replace it")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as source:
            partial.unlink(missing_ok=True)
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # one step: one read snapshot, writers go on (WAL)
                check = copy.execute("PRAGMA integrity_check").fetchone()
        if check != ("ok",):
            return fail(f"the backup failed its integrity check: {check}")
        partial.replace(target)
    except (sqlite3.Error, OSError) as error:
        return fail(f"backup to {target} failed: {error}")
    finally:
        partial.unlink(missing_ok=True)
    sys.stdout.write(f"Backed up {redact(args.url)} to {target} (integrity ok)\n")
    return 0


def add_store_commands(commands: Any) -> None:
    """Register ``copy`` and ``backup`` on the ``relationship-core`` sub-command set."""
    copy = commands.add_parser(
        "copy",
        help="copy a whole store into a new, empty one (e.g. SQLite to PostgreSQL)",
        description="Copy every record (with its version), event (with its position), job "
        "(with its state) and consumer position from SRC_URL into the empty store at DST_URL; "
        "run it again to continue an interrupted copy. Any backend with the 'dump' capability "
        "(memory, jsonl, ...) works too, as a dump and load, resumable into one with "
        "'resumable_load'. Counts and checksums are checked at the end.",
    )
    copy.add_argument("source", metavar="SRC_URL", help="e.g. sqlite:///crm.db")
    copy.add_argument("destination", metavar="DST_URL", help="e.g. postgresql://crm@db/crm")
    copy.add_argument(
        "--batch", type=int, default=1000, help="rows (or dump items) per transaction (1000)"
    )
    copy.set_defaults(run=_copy)
    backup = commands.add_parser(
        "backup",
        help="a consistent copy of an SQLite store file, taken while it is in use",
        description="Back up the SQLite store at URL into FILE through SQLite's online backup "
        "API (consistent while writers run). For PostgreSQL use pg_dump.",
    )
    backup.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db")
    backup.add_argument("file", metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(run=_backup)
