"""The ``relationship-core`` command: ``demo``, ``migrate URL``, ``--version``."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from relationship_core._version import __version__

__all__ = ["build_parser", "main"]


def _demo(args: argparse.Namespace) -> int:
    from relationship_core._demo import run_demo
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    print("relationship_core demo: a year with a client and a customer, kept in a store")
    folder: Path | None = None
    url: str = args.store
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="relationship-core-demo-"))
        url = f"sqlite:///{folder / 'demo.db'}"
    print(f"Store: {redact(url)}")  # a password in --store URL is never shown
    try:
        run_demo(print, url)
    except RelationshipCoreError as error:
        print(f"relationship-core demo: {error}", file=sys.stderr)
        return 2
    finally:
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if folder is not None:
        print()
        if args.keep:
            print(f"Kept {folder / 'demo.db'}; inspect it with `sqlite3` or open it again by URL.")
        else:
            print("The temporary store was removed (use --keep to keep it).")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import relationship_core._app.billing_kinds  # noqa: F401 - migrate the billing kinds too
    from relationship_core._app.facade import migrate
    from relationship_core.exceptions import RelationshipCoreError

    try:
        summary = migrate(args.url)
    except RelationshipCoreError as error:
        print(f"relationship-core migrate: {error}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="relationship-core",
        description="Clients, customers and the money between them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    migrate.set_defaults(run=_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
