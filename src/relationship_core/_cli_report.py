"""The ``report`` command: ``report URL [--period next-quarter] [--html out.html]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_report_commands"]

_PERIODS = ("next-quarter", "this-quarter", "this-month")

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>relationship-core report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}}caption{{font-weight:bold}}</style>
</head><body><h1>relationship-core report</h1>
{sections}
</body></html>
"""


def _report(args: argparse.Namespace) -> int:
    from relationship_core._app.facade import open_store
    from relationship_core._lifecycle.forecast import Period
    from relationship_core._lifecycle.service import LifecycleService
    from relationship_core._reports.dashboard import dashboard
    from relationship_core._storage.url import redact
    from relationship_core.exceptions import MissingExtraError, RelationshipCoreError

    try:
        with open_store(args.url) as crm:
            service = LifecycleService(crm, business=args.business)
            now, tz = crm.clock.now(), service.time_zone
            period = {
                "next-quarter": Period.next_quarter,
                "this-quarter": Period.this_quarter,
                "this-month": Period.this_month,
            }[args.period](now, tz)
            reports = dashboard(crm, period=period, months=args.months, business=args.business)
    except RelationshipCoreError as error:
        sys.stderr.write(f"relationship-core report: on the store {redact(args.url)}: {error}\n")
        return 2
    if args.html is None:
        sys.stdout.write("\n\n".join(r.to_text() for r in reports) + "\n")
        return 0
    sections = []
    for report in reports:
        sections.append(report._repr_html_())
        try:
            if report.rows:
                sections.append(f'<img alt="plot" src="data:image/png;base64,{report.plot_png()}">')
        except MissingExtraError as error:  # tables only without matplotlib
            sections.append(f"<p>(no plot: {error})</p>")
    try:
        Path(args.html).write_text(_PAGE.format(sections="\n".join(sections)), encoding="utf-8")
    except OSError as error:
        sys.stderr.write(f"relationship-core report: cannot write --html {args.html!r}: {error}\n")
        return 2
    sys.stdout.write(f"wrote {args.html}\n")
    return 0


def add_report_commands(commands: Any) -> None:
    """Add ``report`` to the command's subparsers."""
    report = commands.add_parser(
        "report",
        help="the dashboard: reports of a store, in the terminal or as an HTML file",
        description="Print the reports of the store at URL as tables, or write them with "
        "their plots to a self-contained HTML file (--html).",
    )
    report.add_argument("url", metavar="URL", help="e.g. sqlite:///crm.db or postgresql://…")
    report.add_argument(
        "--period",
        choices=_PERIODS,
        default="next-quarter",
        help="the pipeline's period, in the business's time zone",
    )
    report.add_argument(
        "--months",
        type=int,
        default=12,
        help="how many local months sales, CSAT, revenue and cohorts cover (default: 12)",
    )
    report.add_argument("--business", default="default", help="whose time zone (default: default)")
    report.add_argument("--html", metavar="FILE", help="write a self-contained HTML page here")
    report.set_defaults(run=_report)
