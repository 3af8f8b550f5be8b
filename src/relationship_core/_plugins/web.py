"""The "web" feature's kinds: sign-in links and rate-limit windows (`relationship_core.web`).

A built-in plugin (``relationship_core.web``) so every store can back the web
front; the ASGI application itself needs the ``web`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._plugins.markers import hookimpl
from relationship_core.web._kinds import WEB_MAPPINGS

__all__ = ["relationship_core_kinds"]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Sign-in links and rate-limit windows."""
    return list(WEB_MAPPINGS)
