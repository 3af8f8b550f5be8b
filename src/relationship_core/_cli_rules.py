"""The ``rules`` command: ``check`` a rule file, ``explain`` one event's audit, ``replay`` past events, ``prune`` the audit."""

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


def _explain(args: argparse.Namespace) -> int:
    from relationship_core._app.facade import open_store
    from relationship_core._rules.audit import RULE_AUDITS
    from relationship_core._rules.condition import compile_condition
    from relationship_core._rules.engine import RuleEngine
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    try:
        with open_store(args.store) as crm:
            audit = crm.repository(RULE_AUDITS).find(f"audit-{args.event_id}")
            source = None if audit is None else RuleEngine(crm).version(audit.ruleset_version)
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core rules explain: {redact(args.store)}: {error}\n")
        return 2
    if audit is None:
        sys.stderr.write(f"relationship-core rules explain: no audit of event {args.event_id}\n")
        return 1
    out = sys.stdout
    out.write(f"event {audit.event_id} ({audit.event_type}) for {audit.subject} at ")
    out.write(f"{audit.at.isoformat()}, rule set {audit.ruleset_version}\n")
    if args.rule not in audit.considered:
        out.write(f"{args.rule}: not considered (its triggers do not include {audit.event_type})\n")
        return 1
    rules = {r.get("name"): r for r in (source or {}).get("rules", [])}
    lists = (
        ("rule set", (source or {}).get("suppress")),
        ("", rules.get(args.rule, {}).get("suppress")),
    )
    for scope, suppress in lists:
        if suppress:
            listed = "; ".join(
                f"{key} {compile_condition(value).text if key == 'condition' else value}"
                for key, value in sorted(suppress.items())
            )
            whose = f"the {scope}'s suppression list" if scope else "suppression list"
            out.write(f"{args.rule}: {whose} (as of that version): {listed}\n")
    if args.rule in audit.matched:
        out.write(f"{args.rule}: matched\n")
        mine = [o for o in audit.actions if o.rule == args.rule]
        reasons = {o.result.get("reason", "") for o in mine if o.status == "skipped"}
        for reason in sorted(r for r in reasons if r.startswith("suppressed")):
            whose = "the rule set's" if reason.startswith("suppressed (rule set)") else "the rule's"
            out.write(f"  {reason} ({whose} suppression list): nothing enrolled\n")
        for outcome in audit.actions:
            if outcome.rule == args.rule:
                due = "" if outcome.due is None else f" due {outcome.due.isoformat()}"
                result = ", ".join(f"{k}={v}" for k, v in outcome.result.items())
                out.write(f"  {outcome.action}: {outcome.status}{due} {result}\n")
        return 0
    out.write(f"{args.rule}: did not match\n")
    for failed in audit.failed:
        if failed.rule == args.rule:
            for condition in failed.conditions:
                seen = ", ".join(f"{name} = {value}" for name, value in condition.values)
                out.write(f"  failed: {condition.text}" + (f"  ({seen})" if seen else "") + "\n")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from datetime import datetime

    from relationship_core._app.facade import open_store
    from relationship_core._rules.engine import RuleEngine, handle_event
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        sys.stderr.write(f"relationship-core rules replay: --since {args.since!r}: give ISO 8601\n")
        return 2
    if since.tzinfo is None:
        sys.stderr.write("relationship-core rules replay: --since needs a UTC offset (or Z)\n")
        return 2
    out, fired, seen = sys.stdout, 0, 0
    try:
        with open_store(args.store) as crm:
            engine = RuleEngine(crm)
            ruleset = None if args.rules is None else engine.load(Path(args.rules))
            if args.apply and ruleset is not None:
                sys.stderr.write(
                    "relationship-core rules replay: --apply runs the installed rules; install FILE first\n"
                )
                return 2
            after = 0
            while batch := crm.events.read_logged(after, 500):
                after = batch[-1].seq
                for logged in batch:
                    event = logged.event
                    if event.occurred_at < since:
                        continue
                    seen += 1
                    plan = engine.dry_run(event, ruleset)
                    if plan is None or not plan.actions:
                        continue
                    for action in plan.actions:
                        state = action.skipped or ("later" if action.delayed else "now")
                        out.write(
                            f"{logged.envelope.id} {event.name} {plan.subject}: {action.rule} -> "
                            f"{action.action} due {action.due.isoformat()} ({state})\n"
                        )
                        fired += action.skipped is None
                    if args.apply and any(a.skipped is None for a in plan.actions):
                        with crm.unit_of_work() as uow:
                            handle_event(event, uow)
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core rules replay: {redact(args.store)}: {error}\n")
        return 2
    mode = "applied" if args.apply else "dry run, nothing written"
    out.write(f"{seen} event(s) since {since.isoformat()}, {fired} action(s) would run ({mode})\n")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from relationship_core._app.facade import open_store
    from relationship_core._rules.retention import prune_audits
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import RelationshipCoreError

    before = None
    if args.before is not None:
        try:
            before = datetime.fromisoformat(args.before)
        except ValueError:
            before = None
        if before is None or before.tzinfo is None:
            sys.stderr.write(
                f"relationship-core rules prune: --before {args.before!r}: give ISO 8601 with an offset\n"
            )
            return 2
    days = args.older_than_days
    if before is not None and days is not None:
        sys.stderr.write("relationship-core rules prune: give --before or --older-than-days\n")
        return 2
    try:
        with open_store(args.store) as crm:
            count = prune_audits(
                crm,
                before=before,
                older_than=None if days is None else timedelta(days=days),
                dry_run=args.dry_run,
            )
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core rules prune: {redact(args.store)}: {error}\n")
        return 2
    verb = "would delete" if args.dry_run else "deleted"
    sys.stdout.write(f"{verb} {count} audit record(s)\n")
    return 0


def add_rule_commands(commands: Any) -> None:
    """Add ``rules check|explain|replay|prune`` to the command's subparsers."""
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
    explain = actions.add_parser(
        "explain",
        help="show why RULE did or did not fire on one event (from the audit)",
        description="Read the audit of EVENT_ID in the store at --store: whether RULE was "
        "considered and matched, the conditions that failed with the values they saw, and "
        "its actions' outcomes. Exit 1 when there is no audit or RULE was not considered.",
    )
    explain.add_argument("rule", metavar="RULE", help="the rule's name")
    explain.add_argument("event_id", metavar="EVENT_ID", help="the event's envelope id")
    explain.add_argument("--store", metavar="URL", required=True, help="the store to read")
    explain.set_defaults(run=_explain)
    replay = actions.add_parser(
        "replay",
        help="re-run rules over past events (a dry run unless --apply)",
        description="Evaluate the logged events that occurred at or after --since against the "
        "installed rule set (or FILE) and print each action that would run, with its due "
        "time, or why it would be skipped (acted already for that event). Writes nothing "
        "unless --apply, which runs the installed rules; enrolments keep a replayed event "
        "from acting twice.",
    )
    replay.add_argument("--store", metavar="URL", required=True, help="the store to read")
    replay.add_argument("--since", metavar="WHEN", required=True, help="ISO 8601 with offset")
    replay.add_argument("--rules", metavar="FILE", help="a rule file to try instead")
    replay.add_argument("--apply", action="store_true", help="act (installed rules only)")
    replay.set_defaults(run=_replay)
    prune = actions.add_parser(
        "prune",
        help="delete old rule audit records (retention: 90 days by default)",
        description="Delete the rule audit records of evaluations older than "
        "--older-than-days (default 90, the documented retention) or before --before. "
        "Enrolments and follow-ups are kept. --dry-run counts and writes nothing.",
    )
    prune.add_argument("--store", metavar="URL", required=True, help="the store")
    prune.add_argument("--before", metavar="WHEN", help="ISO 8601 with offset")
    prune.add_argument("--older-than-days", metavar="N", type=int, help="default 90")
    prune.add_argument("--dry-run", action="store_true", help="count only")
    prune.set_defaults(run=_prune)
