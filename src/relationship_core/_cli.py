"""The ``relationship-core`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from relationship_core._version import __version__

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from relationship_core._demo import run_domain_story

    print("relationship_core demo: a customer's life with the business")
    run_domain_story(print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="relationship-core",
        description="Clients, customers and the money between them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="walk through the library's story and print it")
    demo.set_defaults(run=_demo)
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
