"""The ``relationship-core`` command: ``demo``, ``migrate URL``, ``worker URL``, ``jobs URL``, ``rules check FILE``."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from relationship_core._cli_import import add_import_commands
from relationship_core._cli_jobs import add_job_commands
from relationship_core._cli_report import add_report_commands
from relationship_core._cli_rules import add_rule_commands
from relationship_core._cli_store import add_store_commands
from relationship_core._version import __version__

__all__ = ["build_parser", "main"]


def _headed(header: Sequence[str]) -> Callable[[str], None]:
    """A writer that prints *header* just before the first line of the story.

    So an error found before the story starts (a bad URL, a store that is not
    empty) is printed alone, not under a heading that promises a demo.
    """
    pending = list(header)

    def write(line: str) -> None:
        while pending:
            print(pending.pop(0))
        print(line)

    return write


def _demo(args: argparse.Namespace) -> int:
    from relationship_core._demo import run_demo
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    folder: Path | None = None
    url: str = args.store
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="relationship-core-demo-"))
        url = f"sqlite:///{folder / 'demo.db'}"
    write = _headed(
        [
            "relationship_core demo: a year with a client and a customer, kept in a store",
            f"Store: {redact(url)}",
        ]
    )
    try:
        run_demo(write, url)
    except RelationshipCoreError as error:
        print(f"relationship-core demo: on the store {redact(url)}: {error}", file=sys.stderr)
        return 2
    finally:
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    if url.startswith("memory:"):
        print("The memory:// store ended with the command.")
    elif folder is None:
        note = " (--keep changes nothing: a store given by --store is always kept)"
        print(f"The store is kept at {redact(url)}{note if args.keep else ''}.")
    elif args.keep:
        print(f"Kept the store: {url}")
        print(f"  (the file {folder / 'demo.db'}; open it again by that URL or with `sqlite3`)")
    else:
        print("The temporary store was removed (use --keep to keep it).")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import relationship_core._app.billing_kinds  # noqa: F401 - migrate the billing kinds too
    from relationship_core._app.facade import migrate
    from relationship_core.exceptions import RelationshipCoreError

    try:
        if not args.unique_emails:
            print(migrate(args.url))
            return 0
        from relationship_core._app.facade import open_store
        from relationship_core._app.unique_emails import enable_unique_emails

        with open_store(args.url, config={"core": {"unique_emails": True}}) as crm:
            summary = crm.migrate()
            report = enable_unique_emails(crm)
    except RelationshipCoreError as error:
        print(f"relationship-core migrate: {error}", file=sys.stderr)
        return 2
    print("\n".join(s for s in (summary, report.summary()) if s))
    return 0 if report.enabled else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="relationship-core",
        description="Clients, customers and the money between them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="a year with a client and a customer, on an SQLite file (or --store URL)",
        description="Tell the library's story on a store: a fresh SQLite file in a temporary "
        "directory unless --store names one (it must be empty).",
    )
    demo.add_argument("--store", metavar="URL", help="store to use, e.g. sqlite:///demo.db")
    demo.add_argument(
        "--keep", action="store_true", help="keep the temporary SQLite file and print its path"
    )
    demo.set_defaults(run=_demo)
    migrate = commands.add_parser(
        "migrate",
        help="bring a store's schema and documents up to date",
        description="Create or upgrade the schema of the store at URL and bring every stored "
        "document to the current layout; safe to run again.",
    )
    migrate.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db or postgresql://…")
    migrate.add_argument(
        "--unique-emails",
        action="store_true",
        help="also turn on the parties' unique e-mail key; lists the addresses held by more "
        "than one party instead (exit status 1, the key stays off)",
    )
    migrate.set_defaults(run=_migrate)
    add_job_commands(commands)
    add_rule_commands(commands)
    add_store_commands(commands)
    add_report_commands(commands)
    add_import_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit status.

    Without a command it prints the help (exit status 2, a usage error). Output
    piped into a command that stops reading early (``| head``) ends quietly
    with status 141, as a process killed by SIGPIPE would, not with a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        return 130
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that
        # flush cannot raise a second time (the recipe in the signal module's docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
