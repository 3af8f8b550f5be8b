"""The ``rules`` command: ``rules check FILE [--store URL]`` validates a rule file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_rule_commands"]


def _check(args: argparse.Namespace) -> int:
    from relationship_core._app.facade import open_store
    from relationship_core._rules.actions import actions_of, event_types_of
    from relationship_core._rules.ruleset import check_rules
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    url: str = args.store or "memory://"
    try:
        with open_store(url) as crm:
            ruleset, errors = check_rules(
                Path(args.file), event_types=event_types_of(crm), actions=actions_of(crm)
            )
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core rules check: on the store {redact(url)}: {error}\n")
        return 2
    against = f"the store {redact(url)}" if args.store else "the installed plugins"
    if errors:
        for problem in errors:
            sys.stdout.write(f"{args.file}: {problem.field}: {problem.value!r}: {problem.reason}\n")
        sys.stdout.write(f"{len(errors)} error(s); checked against {against}\n")
        return 1
    assert ruleset is not None  # noqa: S101 - no errors: a rule set
    sys.stdout.write(
        f"{args.file}: {len(ruleset.rules)} rule(s), version {ruleset.version}; "
        f"checked against {against}\n"
    )
    return 0


def add_rule_commands(commands: Any) -> None:
    """Add ``rules check`` to the command's subparsers."""
    rules = commands.add_parser(
        "rules",
        help="check rule files of the rule engine",
        description="Work with the rule engine's rule files (TOML or JSON).",
    )
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate a rule file; exit 1 on errors",
        description="Load FILE as a rule set and print every error (path, value, what is "
        "allowed). Event types and actions are those of the store at --store, or else of "
        "the installed plugins.",
    )
    check.add_argument("file", metavar="FILE", help="a .toml or .json rule file")
    check.add_argument("--store", metavar="URL", help="check against this store's plugins")
    check.set_defaults(run=_check)
