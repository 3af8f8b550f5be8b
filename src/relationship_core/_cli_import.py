"""The ``import`` command: ``import URL FILE.csv --kind parties|contacts|orders|interactions``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

__all__ = ["ProgressBar", "add_import_commands"]


class ProgressBar:
    """Rows, rate and time left on one terminal line; nothing when *stream* is not a terminal.

    Args:
        stream: Where to draw (default: standard error).
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(self, stream: TextIO | None = None, clock: Any = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = clock()
        self.base = 0
        self.phase = "checking"
        self.drawn = False

    def line(self, phase: str, done: int, total: int) -> str:
        """The text drawn for *done* of *total* rows (*total* 0: not known yet)."""
        elapsed = self.clock() - self.started
        rate = (done - self.base) / elapsed if elapsed > 0 else 0.0
        speed = f"{rate:,.0f}/s" if rate else "-/s"
        if not total:
            return f"{phase}: {done:,} rows ({speed})"
        width = 30
        filled = int(width * done / total)
        left = f"{(total - done) / rate:,.0f} s left" if rate else "time left unknown"
        bar = "#" * filled + "-" * (width - filled)
        return f"{phase} [{bar}] {done:,}/{total:,} rows, {speed}, {left}"

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Redraw (a `relationship_core.importing.Progress`)."""
        if phase != self.phase:  # the rate is measured per phase
            self.phase, self.started, self.base = phase, self.clock(), done
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line(phase, done, total))
            self.stream.flush()
            self.drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _import(args: argparse.Namespace) -> int:
    from relationship_core._app.facade import open_store
    from relationship_core._import import ImportRejectedError, ImportStoppedError, import_csv
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError, ValidationError

    bar = ProgressBar()
    try:
        with open_store(args.url) as crm:
            report = import_csv(
                crm,
                args.file,
                args.kind,
                preset=args.preset,
                mapping=args.mapping,
                batch_size=args.batch_size,
                skip_invalid=args.skip_invalid,
                restart=args.restart,
                encoding=args.encoding,
                delimiter=args.delimiter,
                progress=None if args.quiet else bar,
            )
    except ImportRejectedError as error:
        bar.close()
        sys.stderr.write(f"relationship-core import: {error.value}: {error.reason}\n")
        return 1
    except ImportStoppedError as error:
        bar.close()
        sys.stderr.write(f"relationship-core import: {error}\n")
        return 2
    except ValidationError as error:
        bar.close()
        sys.stderr.write(f"relationship-core import: {args.file}: {error}\n")
        return 1
    except RelationshipCoreError as error:
        bar.close()
        sys.stderr.write(f"relationship-core import: on the store {redact(args.url)}: {error}\n")
        return 2
    bar.close()
    sys.stdout.write(f"{report}\n")
    for problem in report.skipped:
        sys.stdout.write(f"  skipped {problem}\n")
    return 0


def add_import_commands(commands: Any) -> None:
    """Add ``import`` to the command's subparsers."""
    from relationship_core._import.mapping import KINDS, PRESETS

    command = commands.add_parser(
        "import",
        help="import a CSV export (HubSpot, ClickUp, a spreadsheet) into a store",
        description="Check every row of FILE, then store them in batches; an interrupted "
        "import resumes when run again, and a re-run of the same file changes nothing.",
    )
    command.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db or postgresql://…")
    command.add_argument("file", metavar="FILE.csv", help="the CSV file")
    command.add_argument("--kind", required=True, choices=KINDS, help="what the rows are")
    which = command.add_mutually_exclusive_group()
    which.add_argument("--preset", choices=sorted(PRESETS), help="a vendor's export format")
    which.add_argument("--mapping", metavar="FILE.toml", help="a column mapping file")
    command.add_argument(
        "--skip-invalid", action="store_true", help="store the valid rows, report the bad ones"
    )
    command.add_argument(
        "--restart", action="store_true", help="start from the first row, not the marker"
    )
    command.add_argument("--batch-size", type=int, default=500, help="rows per unit of work")
    command.add_argument("--encoding", help="the file's encoding (default: detected)")
    command.add_argument("--delimiter", help="the field delimiter (default: sniffed)")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=_import)
