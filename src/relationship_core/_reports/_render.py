"""Shared rendering for reports: pandas frames, HTML tables and PNG plots, all lazy."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

from relationship_core.exceptions import MissingExtraError

__all__ = ["html_table", "png_base64", "require_matplotlib", "require_pandas", "text_table"]


def require_pandas() -> Any:
    """The pandas module, or MissingExtraError naming the extra to install."""
    try:
        import pandas
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError("Report.to_frame()", "analytics", "pandas") from err
    return pandas


def require_matplotlib() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend, or MissingExtraError."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError("Report.plot()", "analytics", "matplotlib") from err
    return plt


def html_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small escaped HTML table with a caption."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return (
        f"<table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def text_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table for the terminal."""
    cells = [list(columns)] + [[str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells[1:]]
    if not rows:
        lines.append("(nothing)")
    return "\n".join(line.rstrip() for line in lines)


def png_base64(figure: Any) -> str:
    """A matplotlib figure as a base64 PNG (for a self-contained HTML page); closes it."""
    plt = require_matplotlib()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
